using System.Net;
using System.Net.Http.Headers;
using Beacon.Health;
using Beacon.Tests.Support;

namespace Beacon.Tests;

/// <summary>
/// What a stranger can no longer do to Beacon: inject faults where the environment's settings do not switch them on, or
/// take a replica out of rotation without the operator token. Each refusal leaves Beacon serving as before.
/// </summary>
public sealed class OperatorSecurityTests
{
    [Fact]
    public async Task Faults_are_off_unless_enabled_even_when_a_rate_is_set()
    {
        using var host = new BeaconHost(new Dictionary<string, string?> { ["Faults:ErrorRate"] = "1", ["Faults:LatencyMs"] = "30000" });
        using var client = host.CreateClient();

        foreach (var path in new[] { "/fault/status/500", "/fault/delay/10" })
        {
            using var refused = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            Assert.Contains("Fault injection is off", (await refused.ReadJsonAsync()).Str("error"), StringComparison.Ordinal);
        }
        using var greeting = await client.GetAsync("/api/greeting");
        Assert.Equal(HttpStatusCode.OK, greeting.StatusCode);
        Assert.False(greeting.Headers.Contains("X-Beacon-Fault"));
    }

    [Fact]
    public async Task Without_an_operator_token_the_readiness_switch_refuses_everyone()
    {
        using var host = new BeaconHost();
        using var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "anything");

        using var disable = await client.PostAsync("/readyz/disable", null);
        Assert.Equal(HttpStatusCode.Unauthorized, disable.StatusCode);
        Assert.Contains("Operator endpoints are off", (await disable.ReadJsonAsync()).Str("error"), StringComparison.Ordinal);
        using var ready = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token")]
    [InlineData("Basic b3BlcmF0b3ItdG9rZW4=")]
    [InlineData("Bearer operator-token-longer")]
    public async Task A_wrong_or_missing_token_is_refused_and_the_replica_stays_ready(string? authorization)
    {
        using var secrets = new TempDirectory();
        secrets.Write("token", "operator-token\n");
        using var host = new BeaconHost(new Dictionary<string, string?> { [OperatorToken.FileKey] = Path.Combine(secrets.Path, "token") });
        using var client = host.CreateClient();

        using var request = new HttpRequestMessage(HttpMethod.Post, "/readyz/disable");
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var refused = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using (var ready = await client.GetAsync("/readyz"))
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "operator-token");
        using (var accepted = await client.PostAsync("/readyz/disable", null))
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        using var unready = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unready.StatusCode);
    }

    [Fact]
    public async Task A_token_file_that_cannot_be_read_fails_the_start_naming_it()
    {
        var missing = Path.Combine(Path.GetTempPath(), "beacon-no-such-token-" + Guid.NewGuid().ToString("n"));
        using var host = new BeaconHost(new Dictionary<string, string?> { [OperatorToken.FileKey] = missing });

        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var client = host.CreateClient();
            using var response = await client.GetAsync("/healthz");
        });
        Assert.Contains(missing, error.InnerException?.Message ?? error.Message, StringComparison.Ordinal);
    }
}
