using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Beacon.Tests.Support;

namespace Beacon.Tests;

/// <summary>Beacon as a real process on 127.0.0.1, stopped the way a container runtime stops it: SIGTERM.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Sigterm_turns_readyz_503_at_once_and_lets_in_flight_requests_finish()
    {
        using var config = new TempDirectory();
        var port = FreePort();
        using var beacon = StartBeacon(port, config.Path, drainDelaySeconds: 4);
        var output = new StringBuilder();
        beacon.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        beacon.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        beacon.BeginOutputReadLine();
        beacon.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
            await Eventually.Until(() => Status(client, "/readyz"), s => s == HttpStatusCode.OK, "Beacon ready", TimeSpan.FromSeconds(60));

            // A slow request, longer than the drain delay, so it is still running when the listener closes.
            var inFlight = client.GetAsync("/fault/delay/7000");
            await Eventually.Until(
                () => client.GetStringAsync("/metrics"),
                m => m.Contains("http_requests_in_progress{method=\"GET\",controller=\"\",action=\"\",endpoint=\"/fault/delay/{ms:int}\"} 1"),
                "the slow request in flight");

            Posix.Signal(beacon.Id, Posix.SIGTERM);

            await Eventually.Until(() => Status(client, "/readyz"), s => s == HttpStatusCode.ServiceUnavailable, "/readyz 503 after SIGTERM");
            using (var alive = await client.GetAsync("/healthz"))
                Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
            using var finished = await inFlight;
            Assert.Equal(HttpStatusCode.OK, finished.StatusCode);
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await beacon.WaitForExitAsync(exit.Token);
            Assert.Equal(0, beacon.ExitCode);
        }
        catch (Exception) when (Dump(output))
        {
            throw;
        }
        finally
        {
            if (!beacon.HasExited)
                beacon.Kill(entireProcessTree: true);
        }
    }

    static bool Dump(StringBuilder output)
    {
        lock (output)
            TestContext.Current.SendDiagnosticMessage("Beacon's output:\n" + output);
        return false;
    }

    static async Task<HttpStatusCode> Status(HttpClient client, string path)
    {
        try
        {
            using var response = await client.GetAsync(path);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    static Process StartBeacon(int port, string configDirectory, int drainDelaySeconds)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Beacon.dll"));
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["BEACON_CONFIG_DIR"] = configDirectory;
        start.Environment["Shutdown__DrainDelaySeconds"] = drainDelaySeconds.ToString();
        start.Environment["Shutdown__TimeoutSeconds"] = "30";
        return Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
