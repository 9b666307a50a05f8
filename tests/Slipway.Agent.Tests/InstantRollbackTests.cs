using System.Diagnostics;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;
using Slipway.Testing;

namespace Slipway.Agent.Tests;

/// <summary>
/// Rollbacks on the real engine under constant load (drills of RollbackWindowDecisionTests): within the rollback window
/// the warm replicas take all traffic without a container being started; outside it the previous version's replicas
/// start again. Neither fails a request. An operator's rollback through the agent's API moves traffic to the warm
/// replicas before its commit exists. The times are reported as figures, not asserted.
/// </summary>
[Trait("Tier", "Engine")]
public sealed class InstantRollbackTests(BeaconImages images) : IAsyncLifetime
{
    const string Environment = "staging";

    public ValueTask InitializeAsync() => images.EnsureBuiltAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    static string Digest(string image) => image.Split('@')[1];

    [Theory]
    [InlineData(300)]
    [InlineData(0)]
    public async Task A_rollback_under_constant_load_fails_no_request(int windowSeconds)
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        await agent.StartAsync();
        var settings = RollingSettings.Yaml(port, replicas: 2, windowSeconds);
        await agent.WaitForAsync(Environment, await agent.Repo.CommitSettingsAsync(Environment, images.ImageA, settings, "Deploy a"));
        var bad = await agent.Repo.CommitSettingsAsync(Environment, images.ImageB, settings, "Deploy b");
        await agent.WaitForAsync(Environment, bad);
        var warm = (await agent.ContainersAsync(Environment)).Where(c => c.Image == images.ImageA).Select(c => c.ID).Order().ToList();
        Assert.Equal(windowSeconds > 0 ? 2 : 0, warm.Count);

        await using var load = LoadGenerator.Start($"http://127.0.0.1:{port}/api/greeting");
        await AgentUnderTest.EventuallyAsync(() => Task.FromResult(load.Total), n => n >= 50, "the load generator is running", seconds: 30);

        // What Rollback commits: a's files again, with Slipway-Rollback-Of naming b's commit.
        var clock = Stopwatch.StartNew();
        var rollback = await agent.Repo.CommitFilesAsync(Environment, TestConfigRepo.RenderSettings(Environment, images.ImageA, settings).Files,
            $"Roll back {Environment}\n\nSlipway-Rollback-Of: {bad}");
        var firstServed = await AgentUnderTest.EventuallyAsync(async () => (await agent.VersionAsync(port)).ImageDigest, d => d == Digest(images.ImageA),
            "the previous version answers", seconds: 60);
        var served = clock.Elapsed;
        var status = await agent.WaitForAsync(Environment, rollback, seconds: 120);
        var allTraffic = clock.Elapsed;
        var atRollback = load.Total;
        await AgentUnderTest.EventuallyAsync(() => Task.FromResult(load.Total), n => n >= atRollback + 50, "load continues after the rollback", seconds: 30);
        var result = await load.StopAsync();

        Figures.Report($"{(windowSeconds > 0 ? "Warm" : "Cold")} rollback of 2 replicas under load: previous version first answers {served.TotalSeconds:0.00}s " +
                       $"after the commit, serves all traffic (agent converged) after {allTraffic.TotalSeconds:0.00}s; {result.Failed} failed of {result.Total} requests " +
                       $"({string.Join(", ", result.ByStatus.Select(p => $"{p.Key}: {p.Value}"))})");
        Assert.Equal(Digest(images.ImageA), firstServed);
        Assert.Equal(Digest(images.ImageA), status.ImageDigest);
        Assert.True(result.Total > 100, $"only {result.Total} requests were made");
        Assert.Equal(0, result.Failed);
        var containers = await agent.ContainersAsync(Environment);
        var serving = containers.Where(c => c.Image == images.ImageA).Select(c => c.ID).Order().ToList();
        Assert.Equal(2, serving.Count);
        if (windowSeconds > 0)
        {
            // Nothing started: the warm replicas serve, and the version rolled back from is the warm one now.
            Assert.Equal(warm, serving);
            Assert.Equal(2, containers.Count(c => c.Image == images.ImageB && c.State == "running"));
        }
        else
        {
            Assert.DoesNotContain(containers, c => c.Image == images.ImageB);
        }
    }

    [Fact]
    public async Task An_operators_rollback_through_the_agent_moves_all_traffic_to_the_warm_replicas_ahead_of_its_commit_and_fails_no_request()
    {
        const string token = "operator-token-for-the-drill";
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        await agent.StartAsync(operatorToken: token);
        var settings = RollingSettings.Yaml(port, replicas: 2, rollbackWindowSeconds: 300);
        // Deploys as GitOpsCommit makes them: the trailers a rollback is located by.
        string Deploy(string image, int run) => TestConfigRepo.DeployMessage(Environment, image, $"drill-deploy-{run}");
        await agent.WaitForAsync(Environment, await agent.Repo.CommitSettingsAsync(Environment, images.ImageA, settings, Deploy(images.ImageA, 1)));
        var bad = await agent.Repo.CommitSettingsAsync(Environment, images.ImageB, settings, Deploy(images.ImageB, 2));
        await agent.WaitForAsync(Environment, bad);
        var warm = (await agent.ContainersAsync(Environment)).Where(c => c.Image == images.ImageA).Select(c => c.ID).Order().ToList();
        Assert.Equal(2, warm.Count);

        await using var load = LoadGenerator.Start($"http://127.0.0.1:{port}/api/greeting");
        await AgentUnderTest.EventuallyAsync(() => Task.FromResult(load.Total), n => n >= 50, "the load generator is running", seconds: 30);

        using var client = new AgentClient(new Uri($"http://127.0.0.1:{agent.ApiPort}/")) { OperatorToken = token };
        var asked = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var answer = await client.RollBackAsync(Environment, to: null, "drill-rollback", TestContext.Current.CancellationToken);
        var answered = clock.Elapsed;
        var status = await agent.WaitForAsync(Environment, answer.Commit, seconds: 120);
        var applied = clock.Elapsed;
        var atRollback = load.Total;
        await AgentUnderTest.EventuallyAsync(() => Task.FromResult(load.Total), n => n >= atRollback + 50, "load continues after the rollback", seconds: 30);
        var result = await load.StopAsync();

        Assert.NotNull(answer.SwitchedAt);
        Figures.Report($"Operator rollback through the agent of 2 warm replicas under load: all traffic moved {(answer.SwitchedAt.Value - asked).TotalSeconds:0.00}s " +
                       $"after the request, the commit pushed and answered after {answered.TotalSeconds:0.00}s, applied after {applied.TotalSeconds:0.00}s; " +
                       $"{result.Failed} failed of {result.Total} requests ({string.Join(", ", result.ByStatus.Select(p => $"{p.Key}: {p.Value}"))})");
        Assert.Equal(bad, answer.RolledBackCommit);
        Assert.Equal(Digest(images.ImageA), status.ImageDigest);
        Assert.Equal(Digest(images.ImageA), (await agent.VersionAsync(port)).ImageDigest);
        Assert.True(result.Total > 100, $"only {result.Total} requests were made");
        Assert.Equal(0, result.Failed);
        // Nothing started: the warm replicas serve, and the version rolled back from is the warm one now.
        var containers = await agent.ContainersAsync(Environment);
        Assert.Equal(warm, containers.Where(c => c.Image == images.ImageA).Select(c => c.ID).Order().ToList());
        Assert.Equal(2, containers.Count(c => c.Image == images.ImageB && c.State == "running"));
    }

    [Fact]
    public async Task An_operators_rollback_through_the_agent_outside_the_window_starts_the_previous_versions_replicas_ahead_of_its_commit_and_fails_no_request()
    {
        const string token = "operator-token-for-the-drill";
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        await agent.StartAsync(operatorToken: token);
        var settings = RollingSettings.Yaml(port, replicas: 2, rollbackWindowSeconds: 0);
        string Deploy(string image, int run) => TestConfigRepo.DeployMessage(Environment, image, $"drill-deploy-{run}");
        var good = await agent.Repo.CommitSettingsAsync(Environment, images.ImageA, settings, Deploy(images.ImageA, 1));
        await agent.WaitForAsync(Environment, good);
        var bad = await agent.Repo.CommitSettingsAsync(Environment, images.ImageB, settings, Deploy(images.ImageB, 2));
        await agent.WaitForAsync(Environment, bad);
        Assert.DoesNotContain(await agent.ContainersAsync(Environment), c => c.Image == images.ImageA);

        await using var load = LoadGenerator.Start($"http://127.0.0.1:{port}/api/greeting");
        await AgentUnderTest.EventuallyAsync(() => Task.FromResult(load.Total), n => n >= 50, "the load generator is running", seconds: 30);

        using var client = new AgentClient(new Uri($"http://127.0.0.1:{agent.ApiPort}/")) { OperatorToken = token };
        var clock = Stopwatch.StartNew();
        var answer = await client.RollBackAsync(Environment, to: null, "drill-rollback", TestContext.Current.CancellationToken);
        var status = await agent.WaitForAsync(Environment, answer.Commit, seconds: 120);
        var applied = clock.Elapsed;
        var atRollback = load.Total;
        await AgentUnderTest.EventuallyAsync(() => Task.FromResult(load.Total), n => n >= atRollback + 50, "load continues after the rollback", seconds: 30);
        var result = await load.StopAsync();

        Figures.Report($"Operator rollback through the agent of 2 replicas outside the window under load: applied {applied.TotalSeconds:0.00}s after the request; " +
                       $"{result.Failed} failed of {result.Total} requests ({string.Join(", ", result.ByStatus.Select(p => $"{p.Key}: {p.Value}"))})");
        Assert.Null(answer.SwitchedAt);
        Assert.Equal(Digest(images.ImageA), status.ImageDigest);
        Assert.Equal(Digest(images.ImageA), (await agent.VersionAsync(port)).ImageDigest);
        Assert.True(result.Total > 100, $"only {result.Total} requests were made");
        Assert.Equal(0, result.Failed);
        var containers = await agent.ContainersAsync(Environment);
        var serving = containers.Where(c => c.Image == images.ImageA).ToList();
        Assert.Equal(2, serving.Count);
        // Started ahead of the commit: labelled with the revision whose files they run, not the rollback's commit, and
        // adopted by the sync that applied it (no replica started twice).
        Assert.All(serving, c => Assert.Equal(good, c.Labels[AgentLabels.Revision]));
        Assert.DoesNotContain(containers, c => c.Image == images.ImageB);
    }
}
