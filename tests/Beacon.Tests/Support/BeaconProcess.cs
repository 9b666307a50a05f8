using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Beacon.Tests.Support;

/// <summary>
/// Beacon as a real process (the built Beacon.dll) on a free 127.0.0.1 port, configured only through its
/// environment, as a container platform runs it. Killed on dispose if still running; its output is kept.
/// </summary>
public sealed class BeaconProcess : IDisposable
{
    readonly Process _process;
    readonly StringBuilder _output = new();

    public BeaconProcess(IReadOnlyDictionary<string, string> environment)
    {
        Port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Beacon.dll"));
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Port}";
        start.Environment.Remove("PORT");
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        _process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public int Port { get; }

    public int Id => _process.Id;

    public HttpClient Client { get; }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    /// <summary>Waits (bounded) until /readyz answers 200.</summary>
    public Task WaitUntilReadyAsync() =>
        Eventually.Until(() => StatusAsync("/readyz"), s => s == HttpStatusCode.OK, $"Beacon ready; output so far:\n{Output}", TimeSpan.FromSeconds(90));

    /// <summary>The status of a GET, or 0 when nothing answers.</summary>
    public async Task<HttpStatusCode> StatusAsync(string path)
    {
        try
        {
            using var response = await Client.GetAsync(path);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    void Append(string? line)
    {
        lock (_output)
            _output.AppendLine(line);
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Client.Dispose();
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
