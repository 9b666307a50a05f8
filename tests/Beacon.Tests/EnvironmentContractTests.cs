using System.Net;
using System.Text.Json;
using Beacon.Tests.Support;

namespace Beacon.Tests;

/// <summary>
/// The environment variables the platform sets on a Beacon container, given to a real process: what the
/// agent and the pipeline rely on.
/// </summary>
[Trait("Tier", "Engine")]
public sealed class EnvironmentContractTests
{
    [Fact]
    public async Task Environment_sets_identity_faults_and_the_config_directory()
    {
        using var config = new TempDirectory();
        config.Write("appsettings.json", """{ "FeatureManagement": { "Greeting.V2": true } }""");
        var digest = "sha256:" + new string('c', 64);
        using var beacon = new BeaconProcess(new Dictionary<string, string>
        {
            ["BEACON_CONFIG_DIR"] = config.Path,
            ["BEACON_IMAGE_DIGEST"] = digest,
            ["BEACON_VERSION"] = "7.0.1",
            ["Faults__Enabled"] = "true",
            ["Faults__ErrorRate"] = "1",
        });
        await beacon.WaitUntilReadyAsync();

        using var version = JsonDocument.Parse(await beacon.Client.GetStringAsync("/version"));
        Assert.Equal(digest, version.RootElement.GetProperty("imageDigest").GetString());
        Assert.Equal("7.0.1", version.RootElement.GetProperty("version").GetString());
        Assert.Equal(HttpStatusCode.InternalServerError, await beacon.StatusAsync("/api/greeting"));
        Assert.Equal(HttpStatusCode.OK, await beacon.StatusAsync("/healthz"));

        // Logs are compact JSON, one event per line, with the request log among them. The request's log line is written
        // after its response and read from a pipe, so it may reach the test a moment after the answer did.
        static bool IsGreetingRequestLog(string line) => line.Contains("\"RequestPath\":\"/api/greeting\"") && line.Contains("\"StatusCode\":500");
        var lines = await Eventually.Until(
            () => Task.FromResult(beacon.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)),
            output => output.Any(IsGreetingRequestLog),
            "the request log of GET /api/greeting");
        Assert.All(lines, line => JsonDocument.Parse(line).Dispose());
    }

    [Fact]
    public async Task Invalid_setting_stops_the_start_with_a_message_naming_it()
    {
        using var config = new TempDirectory();
        using var beacon = new BeaconProcess(new Dictionary<string, string>
        {
            ["BEACON_CONFIG_DIR"] = config.Path,
            ["Faults__LatencyMs"] = "soon",
        });

        var exitCode = await beacon.WaitForExitAsync(TimeSpan.FromSeconds(90));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Faults:LatencyMs is 'soon'", beacon.Output);
    }
}
