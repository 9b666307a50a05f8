using System.Net;
using Beacon.Tests.Support;

namespace Beacon.Tests;

public sealed class EndpointTests
{
    [Fact]
    public async Task Index_lists_the_endpoints()
    {
        using var host = new BeaconHost();
        using var client = host.CreateClient();

        var index = await client.GetJsonAsync("/");

        Assert.Equal("beacon", index.Str("service"));
        var endpoints = index.GetProperty("endpoints").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("GET /healthz", endpoints);
        Assert.Contains("GET /readyz", endpoints);
        Assert.Contains("GET /version", endpoints);
        Assert.Contains("GET /api/greeting", endpoints);
        Assert.Contains("GET /metrics", endpoints);
        Assert.Contains("GET /fault/status/{code}", endpoints);
        Assert.Contains("GET /fault/delay/{ms}", endpoints);
    }

    [Fact]
    public async Task Healthz_is_200_while_the_process_lives()
    {
        using var host = new BeaconHost();
        using var client = host.CreateClient();

        using var response = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", (await response.ReadJsonAsync()).Str("status"));
    }

    [Fact]
    public async Task Greeting_is_v1_without_flags_and_carries_the_version()
    {
        using var host = new BeaconHost(new Dictionary<string, string?> { ["BEACON_VERSION"] = "4.5.6" });
        using var client = host.CreateClient();

        var greeting = await client.GetJsonAsync("/api/greeting");

        Assert.Equal("Hello from Beacon", greeting.Str("message"));
        Assert.Null(greeting.Str("variant"));
        Assert.Equal("4.5.6", greeting.Str("version"));
    }

    [Fact]
    public async Task Unknown_path_is_404()
    {
        using var host = new BeaconHost();
        using var client = host.CreateClient();

        using var response = await client.GetAsync("/no-such-thing");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
