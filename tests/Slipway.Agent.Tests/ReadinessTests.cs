using System.Globalization;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.Manifests;
using Slipway.Testing;

namespace Slipway.Agent.Tests;

/// <summary>
/// Readiness gates the router: an unready replica gets no traffic and is not replaced (before replaceUnreadyAfterSeconds,
/// 60 s by default: SelfHealingTests); ready again, it is back.
/// </summary>
[Trait("Tier", "Engine")]
public sealed class ReadinessTests(BeaconImages images) : IAsyncLifetime
{
    public ValueTask InitializeAsync() => images.EnsureBuiltAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task An_unready_replica_leaves_the_router_without_being_replaced_and_returns_when_ready()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        var revision = await agent.Repo.CommitFilesAsync("staging", BeaconOperatorToken.MountInto(TestConfigRepo.Render("staging", images.ImageA, replicas: 2, hostPort: port,
            audience: "tests").Files), "Deploy with an operator token");
        await agent.StartAsync();
        await agent.WaitForAsync("staging", revision);
        var containers = await agent.ContainersAsync("staging");
        var replica = containers.Single(c => c.Labels[AgentLabels.Replica] == "0");
        var direct = $"http://127.0.0.1:{replica.Ports.Single(p => p.PrivatePort == 8080).PublicPort}";
        var cancellation = TestContext.Current.CancellationToken;

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await agent.Http.PostAsync($"{direct}/readyz/disable", null, cancellation)).StatusCode);
        agent.Http.DefaultRequestHeaders.Authorization = BeaconOperatorToken.Header;
        (await agent.Http.PostAsync($"{direct}/readyz/disable", null, cancellation)).EnsureSuccessStatusCode();
        var degraded = await AgentUnderTest.EventuallyAsync(() => agent.Client.GetStatusAsync(cancellation),
            s => s.Find("staging") is { ReplicasReady: 1, Health: EnvironmentHealth.Degraded }, "staging reports 1/2 ready");
        Assert.Contains(replica.Names[0].TrimStart('/'), degraded.Find("staging")!.LastError, StringComparison.Ordinal);

        var before = await GreetingsServedAsync(agent, direct);
        for (var i = 0; i < 20; i++)
            (await agent.Http.GetAsync($"http://127.0.0.1:{port}/api/greeting", cancellation)).EnsureSuccessStatusCode();
        Assert.Equal(before, await GreetingsServedAsync(agent, direct));
        Assert.Equal(containers.Select(c => c.ID).Order(), (await agent.ContainersAsync("staging")).Select(c => c.ID).Order());

        (await agent.Http.PostAsync($"{direct}/readyz/enable", null, cancellation)).EnsureSuccessStatusCode();
        await AgentUnderTest.EventuallyAsync(() => agent.Client.GetStatusAsync(cancellation),
            s => s.Find("staging") is { ReplicasReady: 2, Health: EnvironmentHealth.Healthy }, "staging is back to 2/2 ready");
        await AgentUnderTest.EventuallyAsync(async () =>
        {
            for (var i = 0; i < 4; i++) await agent.Http.GetAsync($"http://127.0.0.1:{port}/api/greeting", cancellation);
            return await GreetingsServedAsync(agent, direct);
        }, served => served > before, "the replica serves router traffic again", seconds: 30);
    }

    /// <summary>Greeting requests the replica has served, from its Prometheus metrics.</summary>
    static async Task<double> GreetingsServedAsync(AgentUnderTest agent, string direct)
    {
        var metrics = await agent.Http.GetStringAsync($"{direct}/metrics", TestContext.Current.CancellationToken);
        return metrics.Split('\n')
            .Where(line => line.StartsWith("http_requests_received_total{", StringComparison.Ordinal) && line.Contains("greeting", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }
}
