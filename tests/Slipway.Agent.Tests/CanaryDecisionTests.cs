using Slipway.Agent.Backends;
using Slipway.Agent.Tests.Fakes;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;

namespace Slipway.Agent.Tests;

/// <summary>
/// The canary strategy's decisions on the fake runtime, router and clock (fast tier): steps, verdicts, promotion,
/// abort with rollback, inconclusive windows, a window ended by its minimum sample, and resume after a restart.
/// CanaryTests drills the same on the real engine.
/// </summary>
public sealed class CanaryDecisionTests : IDisposable
{
    const string StableRevision = "1111111111111111111111111111111111111111";
    const string CanaryRevision = "2222222222222222222222222222222222222222";

    readonly BackendOnFakes fakes = new();

    /// <summary>A canary environment of 2 replicas; steps as "weight:windowSeconds,...".</summary>
    static string Settings(string steps = "20:10,50:10,80:10", int minRequests = 5, int loadRps = 40, int maxInconclusive = 3) =>
        CanarySettings.Yaml(BackendOnFakes.HostPort, steps, minRequests, loadRps, maxInconclusive);

    async Task<IReadOnlyList<string>> DeployStableAsync(string settings)
    {
        var state = await fakes.ApplyAsync(BackendOnFakes.ManifestsFromSettings(BackendOnFakes.StableImage, settings), StableRevision);
        Assert.True(state.Converged, state.Problem);
        return fakes.Runtime.Running(BackendOnFakes.Environment).Select(c => c.Name).ToList();
    }

    Task<BackendState> DeployCanaryAsync(string settings, IProgress<BackendState>? progress, CancellationToken cancellationToken) =>
        fakes.ApplyAsync(BackendOnFakes.ManifestsFromSettings(BackendOnFakes.NewImage, settings), CanaryRevision, progress, cancellationToken);

    Task<BackendState> DeployCanaryAsync(string settings) => DeployCanaryAsync(settings, null, TestContext.Current.CancellationToken);

    IEnumerable<int> CanaryWeights() => fakes.Router.History.Where(h => h.Key == BackendOnFakes.Environment).Select(h => h.Split.CanaryWeight);

    [Fact]
    public async Task A_healthy_canary_advances_through_its_steps_and_is_promoted()
    {
        var settings = Settings();
        await DeployStableAsync(settings);

        var state = await DeployCanaryAsync(settings);

        var rollout = state.Rollout!;
        Assert.Equal(RolloutPhase.Succeeded, rollout.Phase);
        Assert.True(state.Converged, state.Problem);
        Assert.Equal([1, 2, 3], rollout.Analysis.Select(a => a.Step));
        Assert.All(rollout.Analysis, a => Assert.Equal(AnalysisVerdict.Passed, a.Verdict));
        // The router moved the canary's share step by step, in order, and then served the promoted replicas alone.
        Assert.Equal([20, 50, 80], CanaryWeights().Where(w => w > 0).Distinct());
        var running = fakes.Runtime.Running(BackendOnFakes.Environment);
        Assert.Equal(2, running.Count);
        Assert.All(running, c => Assert.Equal(BackendOnFakes.NewImage, c.Image));
        Assert.All(running, c => Assert.False(c.IsCanary));
        Assert.Equal(running.Select(c => c.Name).Order(StringComparer.Ordinal), fakes.Router.Served(BackendOnFakes.Environment));
        Assert.DoesNotContain(fakes.Runtime.Containers, c => c.IsCanary);
        Assert.Empty(fakes.Rollback.Reverts);
    }

    [Theory]
    [InlineData(0.5, 3.0, "error rate")]
    [InlineData(0.0, 400.0, "p95")]
    public async Task A_failing_analysis_aborts_moves_all_traffic_back_to_stable_and_reverts_git(double errorRate, double latencyMs, string failsOn)
    {
        var settings = Settings();
        var stable = await DeployStableAsync(settings);
        fakes.Runtime.Behave(BackendOnFakes.NewImage, new ReplicaBehaviour { ErrorRate = errorRate, LatencyMs = latencyMs });

        var state = await DeployCanaryAsync(settings);

        var rollout = state.Rollout!;
        Assert.Equal(RolloutPhase.Aborted, rollout.Phase);
        Assert.False(state.Converged);
        var failed = rollout.Analysis.Single();
        Assert.Equal((1, AnalysisVerdict.Failed), (failed.Step, failed.Verdict));
        Assert.Contains(failsOn, failed.Reason, StringComparison.Ordinal);
        // All traffic on the same stable replicas, the canary gone, and Git asked to revert the canary's commit to the stable image.
        var split = fakes.Router.Split(BackendOnFakes.Environment)!;
        Assert.Equal((0, 0), (split.CanaryWeight, split.Canary.Count));
        Assert.Equal(stable.Order(StringComparer.Ordinal), fakes.Router.Served(BackendOnFakes.Environment));
        Assert.Equal(stable, fakes.Runtime.Running(BackendOnFakes.Environment).Select(c => c.Name));
        Assert.Equal([(BackendOnFakes.Environment, CanaryRevision, BackendOnFakes.StableImage)], fakes.Rollback.Reverts);
        Assert.NotNull(rollout.RollbackRevision);
        Assert.Equal(BackendOnFakes.StableImage.Split('@')[1], rollout.StableImageDigest);
    }

    [Fact]
    public async Task An_aborted_version_is_not_tried_again_while_git_still_names_it()
    {
        var settings = Settings();
        var stable = await DeployStableAsync(settings);
        fakes.Runtime.Behave(BackendOnFakes.NewImage, new ReplicaBehaviour { ErrorRate = 0.5 });
        await DeployCanaryAsync(settings);
        var startedBefore = fakes.Runtime.Started.Count;

        var again = await DeployCanaryAsync(settings);

        Assert.Equal(RolloutPhase.Aborted, again.Rollout!.Phase);
        Assert.Equal(startedBefore, fakes.Runtime.Started.Count);
        Assert.Equal(stable.Order(StringComparer.Ordinal), fakes.Router.Served(BackendOnFakes.Environment));
        Assert.Single(fakes.Rollback.Reverts);
    }

    [Fact]
    public async Task Inconclusive_windows_are_repeated_up_to_the_limit_then_the_rollout_aborts()
    {
        // No synthetic load and no real traffic: no window can hold the minimum sample.
        var settings = Settings(loadRps: 0, maxInconclusive: 2);
        var stable = await DeployStableAsync(settings);

        var state = await DeployCanaryAsync(settings);

        var rollout = state.Rollout!;
        Assert.Equal(RolloutPhase.Aborted, rollout.Phase);
        Assert.Equal([AnalysisVerdict.Inconclusive, AnalysisVerdict.Inconclusive], rollout.Analysis.Select(a => a.Verdict));
        Assert.Contains("inconclusive 2 times in a row", rollout.Message, StringComparison.Ordinal);
        Assert.Equal(stable.Order(StringComparer.Ordinal), fakes.Router.Served(BackendOnFakes.Environment));
        Assert.Single(fakes.Rollback.Reverts);
    }

    [Fact]
    public async Task A_window_ends_as_soon_as_canary_and_stable_hold_the_minimum_sample()
    {
        // Ten-minute windows; 40 rps split 20/80 gives both versions 5 requests within the first second or two.
        var settings = Settings(steps: "20:600,50:600,80:600", minRequests: 5);
        await DeployStableAsync(settings);
        var started = fakes.Clock.GetUtcNow();

        var state = await DeployCanaryAsync(settings);

        var rollout = state.Rollout!;
        Assert.Equal(RolloutPhase.Succeeded, rollout.Phase);
        Assert.Equal(3, rollout.Analysis.Count);
        Assert.All(rollout.Analysis, a => Assert.True(a.CanaryRequests >= 5 && a.StableRequests >= 5, $"step {a.Step}: {a.CanaryRequests} canary, {a.StableRequests} stable"));
        Assert.All(rollout.Analysis.Zip(rollout.Analysis.Skip(1)), pair => Assert.True(pair.Second.At - pair.First.At < TimeSpan.FromSeconds(30), $"{pair.Second.At - pair.First.At}"));
        Assert.True(fakes.Clock.GetUtcNow() - started < TimeSpan.FromMinutes(2), $"the rollout took {fakes.Clock.GetUtcNow() - started} of three 10-minute windows");
    }

    [Fact]
    public async Task A_window_that_never_holds_the_minimum_sample_lasts_its_full_length()
    {
        var settings = Settings(steps: "20:30", minRequests: 100_000, maxInconclusive: 1);
        await DeployStableAsync(settings);
        var starting = new List<DateTimeOffset>();
        var progress = new Progress(state =>
        {
            if (state.Rollout is { Step: 1, Analysis.Count: 0 } && starting.Count == 0) starting.Add(fakes.Clock.GetUtcNow());
        });

        var state = await DeployCanaryAsync(settings, progress, TestContext.Current.CancellationToken);

        var window = state.Rollout!.Analysis.Single();
        Assert.Equal(AnalysisVerdict.Inconclusive, window.Verdict);
        var length = window.At - starting.Single();
        Assert.True(length >= TimeSpan.FromSeconds(30) && length < TimeSpan.FromSeconds(32), $"the window lasted {length}");
    }

    [Fact]
    public async Task A_canary_interrupted_by_an_agent_restart_resumes_at_its_step_with_the_same_canary_replicas()
    {
        var settings = Settings();
        await DeployStableAsync(settings);
        using var crash = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        // The agent dies when step 2 starts: step 1 has passed and is on disk.
        var progress = new Progress(state => { if (state.Rollout is { Step: 2 }) crash.Cancel(); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => DeployCanaryAsync(settings, progress, crash.Token));
        var canaries = fakes.Runtime.Running(BackendOnFakes.Environment).Where(c => c.IsCanary).Select(c => c.Id).ToList();
        Assert.NotEmpty(canaries);

        fakes.Restart();
        var state = await DeployCanaryAsync(settings);

        var rollout = state.Rollout!;
        Assert.Equal(RolloutPhase.Succeeded, rollout.Phase);
        Assert.Equal([1, 2, 3], rollout.Analysis.Select(a => a.Step));
        // The restarted agent routed all to stable first, then went on from step 2; no canary replica was started again.
        Assert.Equal([50, 80], CanaryWeights().Where(w => w > 0).Distinct());
        Assert.Equal(canaries.Count, fakes.Runtime.Started.Count(c => c.IsCanary));
    }

    public void Dispose() => fakes.Dispose();

    /// <summary>Reports synchronously, inside the rollout (System.Progress would post to the thread pool).</summary>
    sealed class Progress(Action<BackendState> report) : IProgress<BackendState>
    {
        public void Report(BackendState value) => report(value);
    }
}
