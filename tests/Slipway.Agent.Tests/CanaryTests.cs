using System.Net.Http.Json;
using System.Text.Json;
using Slipway.Agent.Backends.Docker;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;
using Slipway.Testing;

namespace Slipway.Agent.Tests;

/// <summary>
/// The canary fault drills of issue #5 against the real Docker engine and a real Git config repo: a bad canary (errors,
/// latency) is rolled back by the agent with Git reverted; a good one is promoted under load without a failed request;
/// an agent killed mid-canary resumes cleanly. Windows are short (2 s) and thresholds low so the suite stays quick.
/// </summary>
[Trait("Tier", "Engine")]
public sealed class CanaryTests(BeaconImages images) : IAsyncLifetime
{
    public ValueTask InitializeAsync() => images.EnsureBuiltAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    const string Environment = "staging";

    /// <summary>A canary environment of 2 replicas: three 2-second steps at 20, 50 and 80% with 40 rps of synthetic load.</summary>
    /// <param name="minRequests">A window ends once both versions have this many requests (at most its length).</param>
    static string Settings(int port, string faults = "", string steps = "20:2,50:2,80:2", int minRequests = 5) =>
        CanarySettings.Yaml(port, steps, minRequests, faults: faults);

    static string Digest(string image) => image.Split('@')[1];

    static bool IsCanary(Docker.DotNet.Models.ContainerListResponse container) =>
        container.Labels.TryGetValue(ReplicaTrack.Label, out var track) && track == ReplicaTrack.CanaryName;

    [Theory]
    // Faults are injected only where the environment's settings enable them (never in production).
    [InlineData("Faults:\n    Enabled: true\n    ErrorRate: 0.5", "error rate")]
    [InlineData("Faults:\n    Enabled: true\n    LatencyMs: 400", "p95")]
    public async Task A_faulty_canary_is_rolled_back_and_git_head_equals_what_runs(string faults, string failsOn)
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        await agent.StartAsync();
        await agent.WaitForAsync(Environment, await agent.Repo.CommitSettingsAsync(Environment, images.ImageA, Settings(port), "Deploy a"));
        var stable = (await agent.ContainersAsync(Environment)).Select(c => c.ID).Order().ToList();

        await using var load = LoadGenerator.Start($"http://127.0.0.1:{port}/api/greeting");
        var bad = await agent.Repo.CommitSettingsAsync(Environment, images.ImageB, Settings(port, faults), "Deploy b with injected faults");
        var aborted = await AgentUnderTest.EventuallyAsync(() => agent.Client.GetStatusAsync(TestContext.Current.CancellationToken),
            s => s.Find(Environment)?.Rollout is { Phase: RolloutPhase.Aborted, RollbackRevision: not null } r && r.Revision == bad,
            "the canary is aborted and its commit reverted", seconds: 180);
        var rollout = aborted.Find(Environment)!.Rollout!;
        var reverted = await agent.WaitForAsync(Environment, rollout.RollbackRevision!);
        var atRollback = load.Total;
        await AgentUnderTest.EventuallyAsync(() => Task.FromResult(load.Total), n => n >= atRollback + 100, "load continues after the rollback", seconds: 30);
        var result = await load.StopAsync();

        var failed = rollout.Analysis.Last();
        Figures.Report($"Canary with {faults.Replace("\n", "").Replace("  ", " ")}: aborted at step {rollout.Step} ({failed.CanaryWeight}%) on '{failed.Reason}'. " +
                       $"{rollout.Message}. Load through the router: {result.Failed} failed of {result.Total} ({string.Join(", ", result.ByStatus.Select(p => $"{p.Key}: {p.Value}"))})");
        Assert.Equal(AnalysisVerdict.Failed, failed.Verdict);
        Assert.Contains(failsOn, failed.Reason);
        Assert.Equal(Digest(images.ImageA), rollout.StableImageDigest);
        // Production kept serving stable: the same stable containers ran throughout, and nothing else remains.
        var containers = await agent.ContainersAsync(Environment);
        Assert.Equal(stable, containers.Select(c => c.ID).Order().ToList());
        Assert.All(containers, c => Assert.Equal(images.ImageA, c.Image));
        Assert.Equal(Digest(images.ImageA), reverted.ImageDigest);
        for (var i = 0; i < 20; i++)
            Assert.Equal(Digest(images.ImageA), (await agent.VersionAsync(port)).ImageDigest);
        // Git head equals what runs, and says it is a rollback of the canary's commit.
        var head = await agent.Repo.HeadAsync(Environment);
        Assert.Equal(rollout.RollbackRevision, head.Sha);
        Assert.Contains($"Slipway-Rollback-Of: {bad}", head.Message);
        Assert.Contains(images.ImageA, head.Deployment);
        Assert.DoesNotContain(images.ImageB, head.Deployment);
    }

    [Fact]
    public async Task A_config_only_change_is_canaried_and_a_faulty_one_never_reaches_the_stable_replicas()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        await agent.StartAsync();
        await agent.WaitForAsync(Environment, await agent.Repo.CommitSettingsAsync(Environment, images.ImageA, Settings(port), "Deploy a"));
        var stable = (await agent.ContainersAsync(Environment)).Select(c => c.ID).Order().ToList();

        var bad = await agent.Repo.CommitSettingsAsync(Environment, images.ImageA, Settings(port, "Faults:\n  Enabled: true\n  ErrorRate: 0.5"), "Inject errors by config");
        var aborted = await AgentUnderTest.EventuallyAsync(() => agent.Client.GetStatusAsync(TestContext.Current.CancellationToken),
            s => s.Find(Environment)?.Rollout is { Phase: RolloutPhase.Aborted, RollbackRevision: not null } r && r.Revision == bad,
            "the config canary is aborted and its commit reverted", seconds: 180);
        var rollout = aborted.Find(Environment)!.Rollout!;
        await agent.WaitForAsync(Environment, rollout.RollbackRevision!);

        Assert.Contains("error rate", rollout.Analysis.Last().Reason);
        Assert.Equal(stable, (await agent.ContainersAsync(Environment)).Select(c => c.ID).Order().ToList());
        for (var i = 0; i < 40; i++)
        {
            using var response = await agent.Http.GetAsync($"http://127.0.0.1:{port}/api/greeting", TestContext.Current.CancellationToken);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Contains($"Slipway-Rollback-Of: {bad}", (await agent.Repo.HeadAsync(Environment)).Message);
    }

    [Fact]
    public async Task A_good_canary_is_promoted_under_constant_load_without_a_failed_request()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        await agent.StartAsync();
        await agent.WaitForAsync(Environment, await agent.Repo.CommitSettingsAsync(Environment, images.ImageA, Settings(port), "Deploy a"));

        await using var load = LoadGenerator.Start($"http://127.0.0.1:{port}/api/greeting");
        await AgentUnderTest.EventuallyAsync(() => Task.FromResult(load.Total), n => n >= 50, "the load generator is running", seconds: 30);
        var good = await agent.Repo.CommitSettingsAsync(Environment, images.ImageB, Settings(port), "Deploy b");
        var status = await agent.WaitForAsync(Environment, good, seconds: 240);
        var atPromotion = load.Total;
        await AgentUnderTest.EventuallyAsync(() => Task.FromResult(load.Total), n => n >= atPromotion + 50, "load continues after the promotion", seconds: 30);
        var result = await load.StopAsync();

        var rollout = status.Rollout!;
        Figures.Report($"3-step canary (20/50/80%, 2 s windows, 40 rps synthetic) promoted in {(rollout.FinishedAt - rollout.StartedAt)!.Value.TotalSeconds:0.0}s; " +
                       $"constant load through the router: {result.Failed} failed of {result.Total} requests ({string.Join(", ", result.ByStatus.Select(p => $"{p.Key}: {p.Value}"))})");
        Assert.Equal(RolloutPhase.Succeeded, rollout.Phase);
        Assert.Equal(good, rollout.Revision);
        Assert.Equal(3, rollout.Analysis.Count(a => a.Verdict == AnalysisVerdict.Passed));
        Assert.Equal(Digest(images.ImageB), status.ImageDigest);
        var containers = await agent.ContainersAsync(Environment);
        Assert.Equal(2, containers.Count);
        Assert.All(containers, c => Assert.Equal(images.ImageB, c.Image));
        Assert.DoesNotContain(containers, IsCanary);
        Assert.True(result.Total > 100, $"only {result.Total} requests were made");
        Assert.Equal(0, result.Failed);
    }

    [Fact]
    public async Task A_rollback_commit_is_rolled_out_at_once_not_canaried_against_the_bad_version()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        await agent.StartAsync();
        await agent.WaitForAsync(Environment, await agent.Repo.CommitSettingsAsync(Environment, images.ImageA, Settings(port), "Deploy a"));
        var bad = await agent.Repo.CommitSettingsAsync(Environment, images.ImageB, Settings(port), "Deploy b");
        var promoted = await agent.WaitForAsync(Environment, bad, seconds: 240);
        Assert.Equal(RolloutPhase.Succeeded, promoted.Rollout?.Phase);

        // What Rollback (or a revert by hand) commits: a's files again, with Slipway-Rollback-Of naming b's commit.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var rollback = await agent.Repo.CommitFilesAsync(Environment, TestConfigRepo.RenderSettings(Environment, images.ImageA, Settings(port)).Files,
            $"Roll back {Environment}\n\nSlipway-Rollback-Of: {bad}");
        var sawCanary = false;
        var restored = await AgentUnderTest.EventuallyAsync(async () =>
            {
                sawCanary |= (await agent.ContainersAsync(Environment)).Any(IsCanary);
                return await agent.Client.GetStatusAsync(TestContext.Current.CancellationToken);
            },
            s => s.Find(Environment) is { Health: EnvironmentHealth.Healthy } e && e.AppliedRevision == rollback, "the rollback is applied", seconds: 120);
        Figures.Report($"Rollback of a promoted canary version: commit → previous version on every replica in {clock.Elapsed.TotalSeconds:0.0}s (rolling, no canary steps)");

        Assert.False(sawCanary, "the rollback was canaried");
        Assert.Equal(Digest(images.ImageA), restored.Find(Environment)!.ImageDigest);
        Assert.NotEqual(rollback, restored.Find(Environment)!.Rollout?.Revision);
        Assert.All(await agent.ContainersAsync(Environment), c => Assert.Equal(images.ImageA, c.Image));
    }

    [Fact]
    public async Task An_agent_killed_mid_canary_resumes_it_when_started_again_and_git_router_and_containers_agree()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        await agent.StartAsync();
        await agent.WaitForAsync(Environment, await agent.Repo.CommitSettingsAsync(Environment, images.ImageA, Settings(port, steps: "20:3,50:3,80:3"), "Deploy a"));

        var next = await agent.Repo.CommitSettingsAsync(Environment, images.ImageB, Settings(port, steps: "20:3,50:3,80:3"), "Deploy b");
        await AgentUnderTest.EventuallyAsync(() => agent.Client.GetStatusAsync(TestContext.Current.CancellationToken),
            s => s.Find(Environment)?.Rollout is { Phase: RolloutPhase.Progressing, Step: >= 2 } r && r.Revision == next,
            "the canary reaches its second step", seconds: 180);
        await agent.StopAsync();
        var record = JsonSerializer.Deserialize<RolloutRecord>(
            await File.ReadAllTextAsync(Path.Combine(agent.WorkDirectory, "rollouts", $"{Environment}.json"), TestContext.Current.CancellationToken),
            new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.Equal(RolloutPhase.Progressing, record.Status.Phase);
        Assert.Contains(await agent.ContainersAsync(Environment), IsCanary);

        await agent.StartAsync();
        var finished = await AgentUnderTest.EventuallyAsync(() => agent.Client.GetStatusAsync(TestContext.Current.CancellationToken),
            s => s.Find(Environment) is { Rollout.Phase: not RolloutPhase.Progressing, Health: EnvironmentHealth.Healthy } e && e.Rollout!.Revision == next
                 || s.Find(Environment)?.Rollout is { Phase: RolloutPhase.Aborted, RollbackRevision: not null },
            "the resumed canary finishes", seconds: 180);
        var rollout = finished.Find(Environment)!.Rollout!;
        var head = await agent.Repo.HeadAsync(Environment);
        var expected = rollout.Phase == RolloutPhase.Succeeded ? images.ImageB : images.ImageA;
        var status = await agent.WaitForAsync(Environment, head.Sha);
        Figures.Report($"Agent killed at step {record.Status.Step} of a canary, restarted: {rollout.Phase} ({rollout.Message}); " +
                       $"{rollout.Analysis.Count} analysis windows in all");

        Assert.Equal(RolloutPhase.Succeeded, rollout.Phase);
        Assert.Contains(expected, head.Deployment);
        Assert.Equal(Digest(expected), status.ImageDigest);
        var containers = await agent.ContainersAsync(Environment);
        Assert.Equal(2, containers.Count);
        Assert.All(containers, c => Assert.Equal(expected, c.Image));
        Assert.DoesNotContain(containers, IsCanary);
        for (var i = 0; i < 20; i++)
            Assert.Equal(Digest(expected), (await agent.VersionAsync(port)).ImageDigest);
    }

    [Fact]
    public async Task An_ab_test_serves_the_audience_the_new_version_then_promotes_it()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        string AbSettings() => $"""
            replicas: 2
            hostPort: {port}
            strategy:
              type: ab-testing
              abTesting:
                header: X-Beacon-Audience
                value: beta
                iterations: 3
                intervalSeconds: 3
              analysis:
                maxErrorRate: 0.05
                maxP95Ms: 250
                maxP95Ratio: 20
                minRequests: 5
                loadRps: 40
                loadPath: /api/greeting
            image:
              container: beacon
              digestEnv: BEACON_IMAGE_DIGEST
            """;
        await agent.StartAsync();
        await agent.WaitForAsync(Environment, await agent.Repo.CommitSettingsAsync(Environment, images.ImageA, AbSettings(), "Deploy a"));

        var next = await agent.Repo.CommitSettingsAsync(Environment, images.ImageB, AbSettings(), "Deploy b");
        await AgentUnderTest.EventuallyAsync(() => agent.Client.GetStatusAsync(TestContext.Current.CancellationToken),
            s => s.Find(Environment)?.Rollout is { Phase: RolloutPhase.Progressing, Step: >= 1 } r && r.Revision == next,
            "the A/B test starts", seconds: 180);
        async Task<string?> DigestAsync(bool audience)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/version");
            if (audience) request.Headers.Add("X-Beacon-Audience", "beta");
            using var response = await agent.Http.SendAsync(request, TestContext.Current.CancellationToken);
            return (await response.Content.ReadFromJsonAsync<VersionAnswer>(TestContext.Current.CancellationToken))!.ImageDigest;
        }
        var audienceDigests = new List<string?>();
        var othersDigests = new List<string?>();
        for (var i = 0; i < 20; i++)
        {
            audienceDigests.Add(await DigestAsync(audience: true));
            othersDigests.Add(await DigestAsync(audience: false));
        }
        var status = await agent.WaitForAsync(Environment, next, seconds: 240);

        Figures.Report($"A/B test of 3 x 3 s windows: {status.Rollout!.Phase} in {(status.Rollout.FinishedAt - status.Rollout.StartedAt)!.Value.TotalSeconds:0.0}s");
        Assert.All(audienceDigests, d => Assert.Equal(Digest(images.ImageB), d));
        Assert.All(othersDigests, d => Assert.Equal(Digest(images.ImageA), d));
        Assert.Equal(RolloutPhase.Succeeded, status.Rollout.Phase);
        Assert.Equal(3, status.Rollout.Analysis.Count(a => a.Verdict == AnalysisVerdict.Passed));
        Assert.All(await agent.ContainersAsync(Environment), c => Assert.Equal(images.ImageB, c.Image));
    }

    [Fact]
    public async Task A_long_canary_in_one_environment_does_not_stall_another()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var canaryPort = FreePort.Next();
        var otherPort = FreePort.Next();
        await agent.StartAsync(environments: "staging,production");
        // Slow by its sample: 40 requests per version take the canary about 5 s at 20% of 40 rps (stable at 80%);
        // 10 s windows leave room, since a window ends as soon as it holds its minimum sample.
        var slow = Settings(canaryPort, steps: "20:10,50:10,80:10", minRequests: 40);
        await agent.WaitForAsync("production", await agent.Repo.CommitSettingsAsync("production", images.ImageA, slow, "Deploy a to production"));
        await agent.WaitForAsync(Environment, await agent.Repo.CommitAsync(Environment, images.ImageA, replicas: 1, hostPort: otherPort));

        var canary = await agent.Repo.CommitSettingsAsync("production", images.ImageB, slow, "Deploy b to production");
        await AgentUnderTest.EventuallyAsync(() => agent.Client.GetStatusAsync(TestContext.Current.CancellationToken),
            s => s.Find("production")?.Rollout is { Phase: RolloutPhase.Progressing, Step: >= 1 } r && r.Revision == canary,
            "the production canary is under way", seconds: 180);
        var staging = await agent.Repo.CommitAsync(Environment, images.ImageB, replicas: 1, hostPort: otherPort);
        await agent.WaitForAsync(Environment, staging);

        var production = (await agent.Client.GetStatusAsync(TestContext.Current.CancellationToken)).Find("production")!;
        Figures.Report($"Staging converged while production's canary was at step {production.Rollout!.Step} ({production.Rollout.Phase})");
        Assert.Equal(RolloutPhase.Progressing, production.Rollout.Phase);
        Assert.Equal(Digest(images.ImageB), (await agent.VersionAsync(otherPort)).ImageDigest);
        // Production's head is now the staging commit (production's folder unchanged): the canary's own commit is in Rollout.
        await AgentUnderTest.EventuallyAsync(() => agent.Client.GetStatusAsync(TestContext.Current.CancellationToken),
            s => s.Find("production")?.Rollout is { Phase: not RolloutPhase.Progressing },
            "the production canary finishes", seconds: 240);
        var finished = (await agent.Client.GetStatusAsync(TestContext.Current.CancellationToken)).Find("production")!;
        Assert.Equal((canary, RolloutPhase.Succeeded), (finished.Rollout!.Revision, finished.Rollout.Phase));
        Assert.Equal(Digest(images.ImageB), (await agent.VersionAsync(canaryPort)).ImageDigest);
    }
}
