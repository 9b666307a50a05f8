using System.Net;
using Beacon.Tests.Support;
using Beacon.Health;
using Microsoft.Extensions.Hosting;

namespace Beacon.Tests;

public sealed class ReadinessTests
{
    [Fact]
    public async Task Readyz_is_200_when_ready()
    {
        using var host = new BeaconHost();
        using var client = host.CreateClient();

        using var response = await client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ready", (await response.ReadJsonAsync()).Str("status"));
    }

    [Fact]
    public async Task Readiness_switches_off_and_on_at_run_time_while_liveness_stays()
    {
        using var secrets = new TempDirectory();
        secrets.Write("operator-token", "readiness-token\n");
        using var host = new BeaconHost(new Dictionary<string, string?> { [OperatorToken.FileKey] = System.IO.Path.Combine(secrets.Path, "operator-token") });
        using var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "readiness-token");

        using var disable = await client.PostAsync("/readyz/disable", null);
        Assert.Equal(HttpStatusCode.Accepted, disable.StatusCode);

        using var unready = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unready.StatusCode);
        var body = await unready.ReadJsonAsync();
        Assert.Equal("unready", body.Str("status"));
        Assert.Equal("disabled", body.Str("reason"));
        using (var alive = await client.GetAsync("/healthz"))
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);

        using var enable = await client.PostAsync("/readyz/enable", null);
        Assert.Equal(HttpStatusCode.Accepted, enable.StatusCode);
        using var ready = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public void Stopping_signal_makes_readiness_unready_for_good()
    {
        var lifetime = new StubLifetime();
        var readiness = new Readiness(lifetime);
        Assert.True(readiness.IsReady);

        lifetime.StopApplication(); // what SIGTERM does first

        Assert.False(readiness.IsReady);
        Assert.Equal("shutting down", readiness.Reason);
        readiness.Enable();
        Assert.False(readiness.IsReady);
    }

    sealed class StubLifetime : IHostApplicationLifetime
    {
        readonly CancellationTokenSource _stopping = new();

        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => _stopping.Token;
        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => _stopping.Cancel();
    }
}
