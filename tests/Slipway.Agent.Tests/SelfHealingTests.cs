using System.Diagnostics;
using Docker.DotNet.Models;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;
using Slipway.Edge;
using Slipway.Testing;

namespace Slipway.Agent.Tests;

/// <summary>
/// `docker pause` of one of three replicas under constant load (the drill of SelfHealingDecisionTests): the paused
/// replica's probes time out, the router's health checks stop sending it requests, and the agent replaces it — its
/// successor started, ready and routed before the paused one is stopped. No request fails. A request that meets the
/// paused replica fails over: the edge sends a GET to another replica once one has been silent for its replica timeout
/// (1.5 s), and to at most <see cref="EdgeAttempts"/> replicas, so the edge answers every GET within
/// <see cref="EdgeAttempts"/> replica timeouts (4.5 s) or fails it itself. The load allows a request exactly that, so a
/// request left waiting on the paused replica fails the drill; the time to replace the replica and the slowest request
/// are reported figures.
/// </summary>
[Trait("Tier", "Engine")]
public sealed class SelfHealingTests(BeaconImages images) : IAsyncLifetime
{
    const string Environment = "staging";

    /// <summary>How many replicas the edge tries for one GET (Slipway.Edge's FailoverMiddleware).</summary>
    const int EdgeAttempts = 3;

    /// <summary>What the edge guarantees a GET: an answer within this, whatever one replica does.</summary>
    static int EdgeAnswerSeconds => (int)Math.Ceiling(new EdgeOptions { StateDirectory = "" }.ReplicaTimeout.TotalSeconds * EdgeAttempts);

    public ValueTask InitializeAsync() => images.EnsureBuiltAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_paused_replica_under_load_is_replaced_and_no_request_fails()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        await agent.StartAsync();
        await agent.WaitForAsync(Environment, await agent.Repo.CommitAsync(Environment, images.ImageA, replicas: 3, hostPort: port));
        await using var load = LoadGenerator.Start($"http://127.0.0.1:{port}/api/greeting", maxSeconds: EdgeAnswerSeconds);
        await AgentUnderTest.EventuallyAsync(() => Task.FromResult(load.Total), n => n >= 50, "the load generator is running", seconds: 30);
        var replicas = await agent.ContainersAsync(Environment);
        var paused = replicas.OrderBy(c => c.Names[0], StringComparer.Ordinal).First();

        var clock = Stopwatch.StartNew();
        await agent.Docker.Containers.PauseContainerAsync(paused.ID, TestContext.Current.CancellationToken);
        try
        {
            var healed = await AgentUnderTest.EventuallyAsync(async () => (Containers: await agent.ContainersAsync(Environment),
                    Status: (await agent.Client.GetStatusAsync(TestContext.Current.CancellationToken)).Find(Environment)),
                s => s.Containers.All(c => c.ID != paused.ID) && s.Containers.Count(c => c.State == "running") == 3 &&
                     s.Status is { Health: EnvironmentHealth.Healthy, ReplicasReady: 3 },
                "the paused replica is replaced and three replicas are ready", seconds: 90);
            var replaced = clock.Elapsed;
            var atHealed = load.Total;
            await AgentUnderTest.EventuallyAsync(() => Task.FromResult(load.Total), n => n >= atHealed + 100, "load continues after the replacement", seconds: 30);
            var result = await load.StopAsync();

            Figures.Report($"docker pause of 1 of 3 replicas under load: replaced after {replaced.TotalSeconds:0.0}s; {result.Failed} failed of {result.Total} requests, " +
                           $"slowest {result.Slowest.TotalSeconds:0.0}s " +
                           $"({string.Join(", ", result.ByStatus.Select(p => $"{p.Key}: {p.Value}"))})");
            Assert.All(healed.Containers, c => Assert.Equal(images.ImageA, c.Image));
            Assert.Equal(2, healed.Containers.Count(c => replicas.Any(r => r.ID == c.ID)));
            Assert.True(result.Total > 100, $"only {result.Total} requests were made");
            Assert.Equal(0, result.Failed);
        }
        finally
        {
            // A failed drill may leave it paused: unpaused, the fixture's cleanup can stop it.
            if ((await agent.ContainersAsync(Environment)).Any(c => c.ID == paused.ID && c.State == "paused"))
                await agent.Docker.Containers.UnpauseContainerAsync(paused.ID, CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_replica_unready_longer_than_the_setting_is_replaced()
    {
        const int ReplaceAfter = 10;
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        await agent.StartAsync();
        // Beacon's readiness switch needs its operator token: this drill mounts a throw-away one.
        var files = BeaconOperatorToken.MountInto(TestConfigRepo.RenderSettings(Environment, images.ImageA,
            RollingSettings.Yaml(port, replicas: 2, replaceUnreadyAfterSeconds: ReplaceAfter)).Files);
        await agent.WaitForAsync(Environment, await agent.Repo.CommitFilesAsync(Environment, files, "Deploy a"));
        var replicas = await agent.ContainersAsync(Environment);
        var unready = replicas.OrderBy(c => c.Names[0], StringComparer.Ordinal).First();
        var direct = $"http://127.0.0.1:{unready.Ports.Single(p => p.PrivatePort == 8080).PublicPort}";

        var clock = Stopwatch.StartNew();
        using var disable = new HttpRequestMessage(HttpMethod.Post, $"{direct}/readyz/disable") { Headers = { Authorization = BeaconOperatorToken.Header } };
        (await agent.Http.SendAsync(disable, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        var healed = await AgentUnderTest.EventuallyAsync(async () => (Containers: await agent.ContainersAsync(Environment),
                Status: (await agent.Client.GetStatusAsync(TestContext.Current.CancellationToken)).Find(Environment)),
            s => s.Containers.All(c => c.ID != unready.ID) && s.Status is { Health: EnvironmentHealth.Healthy, ReplicasReady: 2 },
            "the unready replica is replaced and two replicas are ready", seconds: 90);

        Figures.Report($"A replica unready (readiness disabled) with replaceUnreadyAfterSeconds {ReplaceAfter}: replaced after {clock.Elapsed.TotalSeconds:0.0}s");
        Assert.Equal(2, healed.Containers.Count);
        Assert.Contains(healed.Containers, c => c.ID == replicas.Single(r => r.ID != unready.ID).ID);
    }
}
