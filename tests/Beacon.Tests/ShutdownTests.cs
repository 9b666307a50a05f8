using System.Net;
using Beacon.Tests.Support;

namespace Beacon.Tests;

/// <summary>Beacon as a real process on 127.0.0.1, stopped the way a container runtime stops it: SIGTERM.</summary>
[Trait("Tier", "Engine")]
public sealed class ShutdownTests
{
    [Fact]
    public async Task Sigterm_turns_readyz_503_at_once_and_lets_in_flight_requests_finish()
    {
        using var config = new TempDirectory();
        using var beacon = new BeaconProcess(new Dictionary<string, string>
        {
            ["BEACON_CONFIG_DIR"] = config.Path,
            ["Shutdown__DrainDelaySeconds"] = "4",
            ["Shutdown__TimeoutSeconds"] = "30",
            ["Faults__Enabled"] = "true",
        });
        await beacon.WaitUntilReadyAsync();

        // A slow request, longer than the drain delay, so it is still running when the listener closes.
        var inFlight = beacon.Client.GetAsync("/fault/delay/7000");
        await Eventually.Until(
            () => beacon.Client.GetStringAsync("/metrics"),
            m => m.Contains("http_requests_in_progress{method=\"GET\",controller=\"\",action=\"\",endpoint=\"/fault/delay/{ms:int}\"} 1"),
            "the slow request in flight");

        Posix.Signal(beacon.Id, Posix.SIGTERM);

        await Eventually.Until(() => beacon.StatusAsync("/readyz"), s => s == HttpStatusCode.ServiceUnavailable, "/readyz 503 after SIGTERM");
        Assert.Equal(HttpStatusCode.OK, await beacon.StatusAsync("/healthz"));
        using var finished = await inFlight;
        Assert.Equal(HttpStatusCode.OK, finished.StatusCode);
        Assert.Equal(0, await beacon.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Shutting down: unready now", beacon.Output);
    }
}
