using System.Diagnostics;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;
using Slipway.Testing;

namespace Slipway.Agent.Tests;

/// <summary>
/// Benchmark, not a pass/fail timing: how long from a push to the config repo until the environment serves the new
/// revision, woken by the signed webhook and by the pull interval alone (default 5 s). Prints its figures.
/// </summary>
[Trait("Tier", "Engine")]
public sealed class DeliveryLatencyBenchmark(BeaconImages images) : IAsyncLifetime
{
    public ValueTask InitializeAsync() => images.EnsureBuiltAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Push_to_serving_by_webhook_and_by_interval()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        await agent.StartAsync(interval: TimeSpan.FromSeconds(5));
        await agent.WaitForAsync("staging", await agent.Repo.CommitAsync("staging", images.ImageA, replicas: 2, hostPort: port));

        var byInterval = await MeasureAsync(agent, port, images.ImageB, webhook: false);
        var byWebhook = await MeasureAsync(agent, port, images.ImageA, webhook: true);

        Figures.Report($"Push to serving (2 replicas, rolling, 5 s interval) by interval: first new response {byInterval.FirstServed.TotalSeconds:0.0}s, " +
                       $"rollout complete {byInterval.Complete.TotalSeconds:0.0}s; by webhook: first new response {byWebhook.FirstServed.TotalSeconds:0.0}s, " +
                       $"rollout complete {byWebhook.Complete.TotalSeconds:0.0}s");
        Assert.True(byInterval.Complete >= byInterval.FirstServed);
        Assert.True(byWebhook.Complete >= byWebhook.FirstServed);
    }

    static async Task<(TimeSpan FirstServed, TimeSpan Complete)> MeasureAsync(AgentUnderTest agent, int port, string image, bool webhook)
    {
        var digest = image.Split('@')[1];
        var clock = Stopwatch.StartNew();
        var revision = await agent.Repo.CommitAsync("staging", image, replicas: 2, hostPort: port);
        if (webhook) await agent.Client.TriggerSyncAsync(AgentUnderTest.Secret, TestContext.Current.CancellationToken);
        await AgentUnderTest.EventuallyAsync(() => agent.VersionAsync(port), v => v.ImageDigest == digest, $"staging serves {digest}");
        var firstServed = clock.Elapsed;
        await AgentUnderTest.EventuallyAsync(() => agent.Client.GetStatusAsync(TestContext.Current.CancellationToken),
            s => s.Find("staging") is { Health: EnvironmentHealth.Healthy } e && e.AppliedRevision == revision, "the rollout completes");
        return (firstServed, clock.Elapsed);
    }
}
