using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Slipway.Agent.Routing;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Testing;

namespace Slipway.Agent.Tests;

/// <summary>
/// The agent's <see cref="EdgeClient"/> against a real Slipway.Edge in-process: what the agent sets is served by the
/// edge, a restarted agent reads it back instead of clearing it, and an edge that is not up yet is waited for.
/// </summary>
public sealed class EdgeClientTests : IAsyncLifetime
{
    readonly string root = Directory.CreateTempSubdirectory("slipway-edge-client-").FullName;
    readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };
    readonly int port = FreePort.Next();
    WebApplication replica = null!;
    RouteDestination destination = null!;
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var replicaPort = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, replicaPort));
        replica = builder.Build();
        replica.MapGet("/{**path}", () => "replica");
        await replica.StartAsync(Ct);
        destination = new RouteDestination("replica-0", new Uri($"http://127.0.0.1:{replicaPort}/"));
    }

    string Socket => Path.Combine(root, ".nuke", "platform", "edge", "admin.sock");

    [Fact]
    public async Task What_the_agent_sets_is_served_and_a_restarted_agent_reads_it_back_without_clearing_it()
    {
        await using var edge = await InProcessEdge.StartAsync(root, Ct);
        using (var agent = new EdgeClient(Socket, TestLogger.Create("agent")))
        {
            await agent.LoadAsync(Ct);
            await agent.SetSplitAsync("staging", port, "/readyz", new TrafficSplit([destination], [], 0, new AudienceMatch("X-Canary", null, "yes")), Ct);
            Assert.Equal("replica", await http.GetStringAsync($"http://127.0.0.1:{port}/", Ct));
        }

        using var restarted = new EdgeClient(Socket, TestLogger.Create("agent-restarted"));
        await restarted.LoadAsync(Ct);
        Assert.Equal(port, restarted.Port("staging"));
        Assert.Equal([destination], restarted.Destinations("staging"));
        Assert.Equal(new AudienceMatch("X-Canary", null, "yes"), restarted.Split("staging")!.Audience);
        Assert.Equal("replica", await http.GetStringAsync($"http://127.0.0.1:{port}/", Ct));

        await restarted.RemoveAsync("staging");
        Assert.Null(restarted.Port("staging"));
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync($"http://127.0.0.1:{port}/", Ct));
    }

    [Fact]
    public async Task An_agent_started_before_the_edge_waits_for_it()
    {
        using var agent = new EdgeClient(Socket, TestLogger.Create("agent"));
        var loading = agent.LoadAsync(Ct);
        Assert.False(loading.IsCompleted);

        await using var edge = await InProcessEdge.StartAsync(root, Ct);
        await loading.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await agent.SetAsync("staging", port, "/readyz", [destination], Ct);
        Assert.Equal("replica", await http.GetStringAsync($"http://127.0.0.1:{port}/", Ct));
    }

    [Fact]
    public async Task A_route_the_edge_refuses_fails_with_its_reason_and_the_agent_keeps_the_edges_table()
    {
        await using var edge = await InProcessEdge.StartAsync(root, Ct);
        using var agent = new EdgeClient(Socket, TestLogger.Create("agent"));
        await agent.LoadAsync(Ct);
        await agent.SetAsync("staging", port, "/readyz", [destination], Ct);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => agent.SetAsync("production", port, "/readyz", [destination], Ct));
        Assert.Contains("slipway.dev/host-port", refused.Message, StringComparison.Ordinal);
        Assert.Null(agent.Port("production"));
        Assert.Equal(port, agent.Port("staging"));
    }

    public async ValueTask DisposeAsync()
    {
        await replica.DisposeAsync();
        http.Dispose();
        Directory.Delete(root, recursive: true);
    }
}
