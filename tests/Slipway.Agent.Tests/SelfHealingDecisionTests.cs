using Slipway.Agent.Backends;
using Slipway.Agent.Tests.Fakes;
using Slipway.Agent.Tests.Infrastructure;

namespace Slipway.Agent.Tests;

/// <summary>
/// Self-healing on the fake runtime, router and clock (fast tier), one sync loop every 5 s of fake time as the agent
/// runs them: a replica whose liveness probe fails (a hung /healthz, a <c>docker pause</c>) for failureThreshold checks
/// in a row, or that stays unready longer than replaceUnreadyAfterSeconds, is replaced — its successor ready and routed
/// before it leaves — one at a time, and never while a rollout runs. SelfHealingTests drills the pause on the real engine.
/// </summary>
public sealed class SelfHealingDecisionTests : IDisposable
{
    const string Revision = "d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4";
    const string NextRevision = "e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5";
    static readonly TimeSpan LoopInterval = TimeSpan.FromSeconds(5);
    /// <summary>Beacon's livenessProbe (deploy/base/deployment.yaml): failureThreshold 3.</summary>
    const int FailureThreshold = 3;

    readonly BackendOnFakes fakes = new();

    static string Settings(int replaceUnreadyAfterSeconds = 60) =>
        RollingSettings.Yaml(BackendOnFakes.HostPort, replicas: 3, replaceUnreadyAfterSeconds: replaceUnreadyAfterSeconds);

    async Task<List<FakeContainer>> DeployAsync(string settings)
    {
        var state = await fakes.ApplyAsync(BackendOnFakes.ManifestsFromSettings(BackendOnFakes.StableImage, settings), Revision);
        Assert.True(state.Converged, state.Problem);
        // Past Beacon's liveness initialDelaySeconds, as a replica is long after its start.
        fakes.Clock.Advance(TimeSpan.FromSeconds(10));
        return fakes.Runtime.Running(BackendOnFakes.Environment).ToList();
    }

    /// <summary>One sync loop, after the interval the agent waits between them.</summary>
    Task<BackendState> LoopAsync(string settings)
    {
        fakes.Clock.Advance(LoopInterval);
        return fakes.ApplyAsync(BackendOnFakes.ManifestsFromSettings(BackendOnFakes.StableImage, settings), Revision);
    }

    bool Exists(FakeContainer container) => fakes.Runtime.Containers.Any(c => c.Id == container.Id);

    IReadOnlyList<FakeContainer> StartedSince(int count) => fakes.Runtime.Started.Skip(count).ToList();

    [Fact]
    public async Task A_paused_replica_leaves_the_router_at_once_and_is_replaced_after_failureThreshold_checks()
    {
        var settings = Settings();
        var replicas = await DeployAsync(settings);
        var paused = replicas[1];
        fakes.Runtime.Pause(paused.Id);
        var before = fakes.Runtime.Started.Count;

        for (var check = 1; check < FailureThreshold; check++)
        {
            var state = await LoopAsync(settings);
            Assert.DoesNotContain(paused.Name, fakes.Router.Served(BackendOnFakes.Environment));
            Assert.False(state.Converged);
            Assert.True(Exists(paused), $"replaced after {check} failed checks");
            Assert.Empty(StartedSince(before));
        }
        var healed = await LoopAsync(settings);

        Assert.True(healed.Converged, healed.Problem);
        var successor = Assert.Single(StartedSince(before));
        Assert.False(Exists(paused));
        // The successor was ready before the paused replica went.
        Assert.True(successor.FirstReadyAt <= paused.RemovedAt, $"successor ready {successor.FirstReadyAt:mm:ss}, paused one removed {paused.RemovedAt:mm:ss}");
        Assert.Equal(replicas.Where(c => c != paused).Append(successor).Select(c => c.Name).Order(StringComparer.Ordinal), fakes.Router.Served(BackendOnFakes.Environment));
    }

    [Fact]
    public async Task A_replica_whose_liveness_fails_while_it_still_answers_readiness_is_routed_until_its_successor_is()
    {
        var settings = Settings();
        var replicas = await DeployAsync(settings);
        var hung = replicas[0];
        hung.LivenessFailing = true;
        var before = fakes.Runtime.Started.Count;

        for (var check = 1; check < FailureThreshold; check++)
        {
            await LoopAsync(settings);
            Assert.Contains(hung.Name, fakes.Router.Served(BackendOnFakes.Environment));
        }
        var healed = await LoopAsync(settings);

        Assert.True(healed.Converged, healed.Problem);
        var successor = Assert.Single(StartedSince(before));
        Assert.False(Exists(hung));
        // One router update swapped them: the router never held fewer than the three replicas on the way.
        Assert.All(fakes.Router.History.Where(h => h.Key == BackendOnFakes.Environment).SkipWhile(h => h.Split.Stable.Count < 3),
            h => Assert.Equal(3, h.Split.Stable.Count));
        Assert.Contains(successor.Name, fakes.Router.Served(BackendOnFakes.Environment));
        Assert.DoesNotContain(hung.Name, fakes.Router.Served(BackendOnFakes.Environment));
    }

    [Fact]
    public async Task A_replica_unready_longer_than_the_setting_is_replaced_and_not_before()
    {
        const int ReplaceAfter = 30;
        var settings = Settings(ReplaceAfter);
        var replicas = await DeployAsync(settings);
        var unready = replicas[2];
        unready.ReadinessOff = true;
        var before = fakes.Runtime.Started.Count;
        var since = fakes.Clock.GetUtcNow() + LoopInterval;

        while (fakes.Clock.GetUtcNow() + LoopInterval - since < TimeSpan.FromSeconds(ReplaceAfter))
        {
            var state = await LoopAsync(settings);
            Assert.Contains("fail their readiness probe", state.Problem, StringComparison.Ordinal);
            Assert.True(Exists(unready));
            Assert.DoesNotContain(unready.Name, fakes.Router.Served(BackendOnFakes.Environment));
        }
        var healed = await LoopAsync(settings);

        Assert.True(healed.Converged, healed.Problem);
        Assert.Single(StartedSince(before));
        Assert.False(Exists(unready));
        Assert.Equal(3, fakes.Router.Served(BackendOnFakes.Environment).Count);
    }

    [Fact]
    public async Task An_unready_replica_is_never_replaced_when_the_setting_is_zero()
    {
        var settings = Settings(replaceUnreadyAfterSeconds: 0);
        var replicas = await DeployAsync(settings);
        replicas[0].ReadinessOff = true;
        var before = fakes.Runtime.Started.Count;

        for (var loop = 0; loop < 30; loop++) await LoopAsync(settings);

        Assert.True(Exists(replicas[0]));
        Assert.Empty(StartedSince(before));
    }

    [Fact]
    public async Task Two_dead_replicas_are_replaced_one_at_a_time()
    {
        var settings = Settings();
        var replicas = await DeployAsync(settings);
        fakes.Runtime.Pause(replicas[0].Id);
        fakes.Runtime.Pause(replicas[1].Id);
        var before = fakes.Runtime.Started.Count;

        for (var check = 0; check < FailureThreshold; check++) await LoopAsync(settings);
        Assert.Single(StartedSince(before));
        Assert.Single(new[] { replicas[0], replicas[1] }, Exists);

        var state = await LoopAsync(settings);

        Assert.True(state.Converged, state.Problem);
        Assert.Equal(2, StartedSince(before).Count);
        Assert.False(Exists(replicas[0]) || Exists(replicas[1]));
        Assert.Equal(3, fakes.Router.Served(BackendOnFakes.Environment).Count);
    }

    [Fact]
    public async Task No_replica_is_replaced_while_a_rollout_runs()
    {
        var settings = Settings();
        var replicas = await DeployAsync(settings);
        replicas[0].LivenessFailing = true;
        for (var check = 1; check < FailureThreshold; check++) await LoopAsync(settings);
        var before = fakes.Runtime.Started.Count;

        // The loop that reaches the threshold rolls a new revision out instead: it starts that revision's replicas only.
        fakes.Clock.Advance(LoopInterval);
        var state = await fakes.ApplyAsync(BackendOnFakes.ManifestsFromSettings(BackendOnFakes.NewImage, settings), NextRevision);

        Assert.True(state.Converged, state.Problem);
        Assert.Equal(3, StartedSince(before).Count);
        Assert.All(StartedSince(before), c => Assert.Equal(BackendOnFakes.NewImage, c.Image));
    }

    [Fact]
    public async Task A_canary_rollout_does_not_heal_the_stable_replicas_it_runs_beside()
    {
        var settings = CanarySettings.Yaml(BackendOnFakes.HostPort, "50:10", minRequests: 5);
        var state = await fakes.ApplyAsync(BackendOnFakes.ManifestsFromSettings(BackendOnFakes.StableImage, settings), Revision);
        Assert.True(state.Converged, state.Problem);
        fakes.Clock.Advance(TimeSpan.FromSeconds(10));
        var stable = fakes.Runtime.Running(BackendOnFakes.Environment).ToList();
        fakes.Runtime.Pause(stable[0].Id);
        var before = fakes.Runtime.Started.Count;

        // The canary's steps and analysis last longer than failureThreshold checks would.
        state = await fakes.ApplyAsync(BackendOnFakes.ManifestsFromSettings(BackendOnFakes.NewImage, settings), NextRevision);

        Assert.True(state.Converged, state.Problem);
        Assert.All(StartedSince(before), c => Assert.Equal(BackendOnFakes.NewImage, c.Image));
    }

    [Fact]
    public async Task A_paused_replica_of_the_live_blue_green_colour_is_replaced_by_one_of_the_same_colour()
    {
        const string Strategy = """
              type: blue-green
              blueGreen:
                previewPort: 18091
            """;
        var manifests = BackendOnFakes.Manifests(BackendOnFakes.StableImage, 2, Strategy);
        Assert.True((await fakes.ApplyAsync(manifests, Revision)).Converged);
        fakes.Clock.Advance(TimeSpan.FromSeconds(10));
        var live = fakes.Runtime.Running(BackendOnFakes.Environment).ToList();
        fakes.Runtime.Pause(live[0].Id);
        var before = fakes.Runtime.Started.Count;

        for (var check = 0; check < FailureThreshold; check++)
        {
            fakes.Clock.Advance(LoopInterval);
            await fakes.ApplyAsync(manifests, Revision);
        }

        var successor = Assert.Single(StartedSince(before));
        Assert.Equal(live[0].Labels["slipway.colour"], successor.Labels["slipway.colour"]);
        Assert.False(Exists(live[0]));
        Assert.Equal(new[] { live[1].Name, successor.Name }.Order(StringComparer.Ordinal), fakes.Router.Served(BackendOnFakes.Environment));
    }

    public void Dispose() => fakes.Dispose();
}
