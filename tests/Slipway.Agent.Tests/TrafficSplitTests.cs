using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Slipway.Agent.Routing;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Testing;

namespace Slipway.Agent.Tests;

/// <summary>The router's weighted and audience split between two real Kestrel backends that answer their own name.</summary>
public sealed class TrafficSplitTests : IAsyncLifetime
{
    readonly List<WebApplication> backends = [];
    readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };
    EdgeRouter router = null!;
    int port;
    RouteDestination stable = null!, canary = null!;

    public async ValueTask InitializeAsync()
    {
        router = new EdgeRouter(TestLogger.Create("router"));
        port = FreePort.Next();
        stable = new RouteDestination("stable-0", await StartBackendAsync("stable"));
        canary = new RouteDestination("canary-0", await StartBackendAsync("canary"));
    }

    async Task<Uri> StartBackendAsync(string name)
    {
        var backendPort = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, backendPort));
        var app = builder.Build();
        app.MapGet("/{**path}", () => name);
        await app.StartAsync(TestContext.Current.CancellationToken);
        backends.Add(app);
        return new Uri($"http://127.0.0.1:{backendPort}");
    }

    async Task<Dictionary<string, int>> CountAsync(int requests, Action<HttpRequestMessage>? decorate = null)
    {
        var counts = new Dictionary<string, int> { ["stable"] = 0, ["canary"] = 0 };
        for (var i = 0; i < requests; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/api/greeting");
            decorate?.Invoke(request);
            using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            counts[await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)]++;
        }
        return counts;
    }

    [Fact]
    public async Task The_weight_sends_that_share_to_the_canary_and_stable_only_sends_none()
    {
        await router.SetSplitAsync("staging", port, "/readyz", new TrafficSplit([stable], [canary], 30), TestContext.Current.CancellationToken);
        var split = await CountAsync(600);
        TestContext.Current.TestOutputHelper?.WriteLine($"30% weight: {split["canary"]} of 600 on the canary");
        // Binomial(600, 0.3): mean 180, sd ~11; 120..240 is more than five sd either way.
        Assert.InRange(split["canary"], 120, 240);

        await router.SetAsync("staging", port, "/readyz", [stable], TestContext.Current.CancellationToken);
        Assert.Equal(0, (await CountAsync(100))["canary"]);
    }

    [Fact]
    public async Task The_audience_by_header_or_cookie_goes_to_the_canary_and_everyone_else_to_stable()
    {
        await router.SetSplitAsync("staging", port, "/readyz",
            new TrafficSplit([stable], [canary], 0, new AudienceMatch("X-Canary", null, "always")), TestContext.Current.CancellationToken);
        Assert.Equal(50, (await CountAsync(50, r => r.Headers.Add("X-Canary", "always")))["canary"]);
        Assert.Equal(0, (await CountAsync(50, r => r.Headers.Add("X-Canary", "never")))["canary"]);
        Assert.Equal(0, (await CountAsync(50))["canary"]);

        await router.SetSplitAsync("staging", port, "/readyz",
            new TrafficSplit([stable], [canary], 0, new AudienceMatch(null, "beacon-audience", "beta")), TestContext.Current.CancellationToken);
        Assert.Equal(50, (await CountAsync(50, r => r.Headers.Add("Cookie", "other=1; beacon-audience=beta")))["canary"]);
        Assert.Equal(0, (await CountAsync(50, r => r.Headers.Add("Cookie", "beacon-audience=alpha")))["canary"]);
    }

    public async ValueTask DisposeAsync()
    {
        await router.DisposeAsync();
        foreach (var backend in backends) await backend.DisposeAsync();
        http.Dispose();
    }
}
