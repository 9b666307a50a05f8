using System.Net;
using Xunit;

namespace Slipway.Testing;

/// <summary>Constant load on a port: one request after another until stopped, counting those that did not get 200.</summary>
public sealed class Load : IAsyncDisposable
{
    readonly CancellationTokenSource stop = new();
    readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };
    readonly Task loop;
    int total, failed;
    string? firstFailure;

    public Load(int port, int concurrency = 2) =>
        loop = Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(() => RunAsync(port))));

    public int Total => Volatile.Read(ref total);
    public int Failed => Volatile.Read(ref failed);
    public string? FirstFailure => firstFailure;

    async Task RunAsync(int port)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{port}/", stop.Token);
                if (response.StatusCode != HttpStatusCode.OK) Fail($"status {(int)response.StatusCode}");
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                Fail(exception.Message);
            }
            Interlocked.Increment(ref total);
        }
    }

    void Fail(string reason)
    {
        Interlocked.CompareExchange(ref firstFailure, reason, null);
        Interlocked.Increment(ref failed);
    }

    /// <summary>Waits until at least <paramref name="requests"/> more requests were sent (bounded).</summary>
    public async Task RunForAsync(int requests, int seconds = 60)
    {
        var target = Total + requests;
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (Total < target)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The load sent {Total} of {target} requests within {seconds}s.");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await loop;
        http.Dispose();
        stop.Dispose();
    }
}
