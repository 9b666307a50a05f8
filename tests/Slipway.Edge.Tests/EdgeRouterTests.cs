using System.Net;
using Slipway.Edge.Contract;
using Slipway.Edge.Routing;
using Slipway.Edge.Tests.Infrastructure;
using Slipway.Testing;

namespace Slipway.Edge.Tests;

/// <summary>
/// The edge's routing between real Kestrel replicas on loopback: weighted and audience splits, only public paths and
/// loopback Host names let through, and a dead or frozen replica costing the client nothing.
/// </summary>
public sealed class EdgeRouterTests : IAsyncLifetime
{
    readonly Backends backends = new();
    readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };
    readonly EdgeRouter router = new(new EdgeOptions { StateDirectory = Path.GetTempPath(), ReplicaTimeout = TimeSpan.FromSeconds(1), Drain = TimeSpan.FromSeconds(2) },
        Serilog.Core.Logger.None);
    readonly int port = FreePort.Next();
    EdgeDestination stable = null!, canary = null!;

    public async ValueTask InitializeAsync()
    {
        stable = await backends.StartAsync("stable");
        canary = await backends.StartAsync("canary");
    }

    async Task<HttpResponseMessage> GetAsync(string path, Action<HttpRequestMessage>? decorate = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{path}");
        decorate?.Invoke(request);
        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    async Task<Dictionary<string, int>> CountAsync(int requests, Action<HttpRequestMessage>? decorate = null)
    {
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < requests; i++)
        {
            using var response = await GetAsync("/api/greeting", decorate);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var name = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            counts[name] = counts.GetValueOrDefault(name) + 1;
        }
        return counts;
    }

    [Fact]
    public async Task The_weight_sends_that_share_to_the_canary_and_stable_only_sends_none()
    {
        await router.SetAsync(Backends.Route("staging", port, [stable], [canary], weight: 30), TestContext.Current.CancellationToken);
        var split = await CountAsync(600);
        // Binomial(600, 0.3): mean 180, sd ~11; 120..240 is more than five sd either way.
        Assert.InRange(split.GetValueOrDefault("canary"), 120, 240);

        await router.SetAsync(Backends.Route("staging", port, [stable]), TestContext.Current.CancellationToken);
        Assert.Equal(0, (await CountAsync(100)).GetValueOrDefault("canary"));
    }

    [Fact]
    public async Task The_audience_by_header_or_cookie_goes_to_the_canary_and_everyone_else_to_stable()
    {
        await router.SetAsync(Backends.Route("staging", port, [stable], [canary], audience: new EdgeAudience("X-Canary", null, "always")), TestContext.Current.CancellationToken);
        Assert.Equal(50, (await CountAsync(50, r => r.Headers.Add("X-Canary", "always"))).GetValueOrDefault("canary"));
        Assert.Equal(0, (await CountAsync(50, r => r.Headers.Add("X-Canary", "never"))).GetValueOrDefault("canary"));

        await router.SetAsync(Backends.Route("staging", port, [stable], [canary], audience: new EdgeAudience(null, "beacon-audience", "beta")), TestContext.Current.CancellationToken);
        Assert.Equal(50, (await CountAsync(50, r => r.Headers.Add("Cookie", "other=1; beacon-audience=beta"))).GetValueOrDefault("canary"));
        Assert.Equal(0, (await CountAsync(50, r => r.Headers.Add("Cookie", "beacon-audience=alpha"))).GetValueOrDefault("canary"));
    }

    [Theory]
    [InlineData("/fault/status/500")]
    [InlineData("/fault")]
    [InlineData("/readyz/disable")]
    [InlineData("/READYZ/Disable")]
    [InlineData("/metrics")]
    [InlineData("/metrics/")]
    public async Task The_services_operator_and_diagnostic_paths_are_refused_while_its_public_ones_are_served(string path)
    {
        await router.SetAsync(Backends.Route("production", port, [stable]), TestContext.Current.CancellationToken);

        using var refused = await GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        using var served = await GetAsync("/");
        Assert.Equal("stable", await served.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        using var readiness = await GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, readiness.StatusCode);
    }

    [Fact]
    public async Task A_route_can_open_a_private_path_and_keep_its_own_deny_list()
    {
        await router.SetAsync(Backends.Route("staging", port, [stable]) with { DeniedPaths = ["/admin/*"] }, TestContext.Current.CancellationToken);

        using var metrics = await GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        using var admin = await GetAsync("/admin/users");
        Assert.Equal(HttpStatusCode.NotFound, admin.StatusCode);
    }

    [Theory]
    [InlineData("evil.example")]
    [InlineData("evil.example:8080")]
    [InlineData("127.0.0.1.nip.io")]
    public async Task A_foreign_host_gets_421_and_loopback_names_are_served(string host)
    {
        await router.SetAsync(Backends.Route("production", port, [stable]), TestContext.Current.CancellationToken);

        using var foreign = await GetAsync("/", r => r.Headers.Host = host);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, foreign.StatusCode);
        foreach (var loopback in new[] { $"localhost:{port}", $"127.0.0.1:{port}", "localhost" })
        {
            using var served = await GetAsync("/", r => r.Headers.Host = loopback);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }
    }

    [Fact]
    public async Task A_dead_replica_costs_no_request_and_is_ejected()
    {
        await router.SetAsync(Backends.Route("staging", port, [Backends.Dead("dead"), stable]), TestContext.Current.CancellationToken);

        var counts = await CountAsync(40);
        Assert.Equal(40, counts.GetValueOrDefault("stable"));
    }

    [Fact]
    public async Task A_frozen_replica_costs_no_request_and_is_ejected()
    {
        await router.SetAsync(Backends.Route("staging", port, [backends.StartSilent("frozen"), stable]), TestContext.Current.CancellationToken);

        var counts = await CountAsync(20);
        Assert.Equal(20, counts.GetValueOrDefault("stable"));
    }

    [Fact]
    public async Task A_port_another_environment_serves_is_refused_with_the_fix()
    {
        await router.SetAsync(Backends.Route("staging", port, [stable]), TestContext.Current.CancellationToken);

        var refused = await Assert.ThrowsAsync<EdgeRouteException>(() => router.SetAsync(Backends.Route("production", port, [canary]), TestContext.Current.CancellationToken));
        Assert.Contains("slipway.dev/host-port", refused.Message, StringComparison.Ordinal);
        Assert.Equal(["staging"], router.Routes.Select(r => r.Environment));
    }

    public async ValueTask DisposeAsync()
    {
        await router.DisposeAsync();
        await backends.DisposeAsync();
        http.Dispose();
    }
}
