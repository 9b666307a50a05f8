using Slipway.Agent.Backends;
using Slipway.Agent.Tests.Fakes;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.Manifests;

namespace Slipway.Agent.Tests;

/// <summary>
/// The rollback window on the fake runtime, router and clock (fast tier): the replicas a rollout replaced stay warm out
/// of traffic for rollbackWindowSeconds and are removed after it (also by a restarted agent); a rollback to a warm
/// revision is one router update that starts nothing; outside the window its replicas start in parallel.
/// InstantRollbackTests drills the same on the real engine.
/// </summary>
public sealed class RollbackWindowDecisionTests : IDisposable
{
    const string FirstRevision = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
    const string SecondRevision = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";
    const string RollbackRevision = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3";
    const int WindowSeconds = 600;

    readonly BackendOnFakes fakes = new();

    static string Rolling(int windowSeconds) => RollingSettings.Yaml(BackendOnFakes.HostPort, replicas: 3, windowSeconds);

    static string Canary(int windowSeconds) =>
        CanarySettings.Yaml(BackendOnFakes.HostPort, "50:10", minRequests: 5) + $"\nrollbackWindowSeconds: {windowSeconds}\n";

    static EnvironmentManifests Manifests(string image, string settings, bool rollback = false) =>
        BackendOnFakes.ManifestsFromSettings(image, settings) with { IsRollback = rollback };

    IReadOnlyList<FakeContainer> Running(string image) => fakes.Runtime.Running(BackendOnFakes.Environment).Where(c => c.Image == image).ToList();

    IReadOnlyList<string> Names(IEnumerable<FakeContainer> containers) => containers.Select(c => c.Name).Order(StringComparer.Ordinal).ToList();

    async Task DeployBothAsync(string settings)
    {
        Assert.True((await fakes.ApplyAsync(Manifests(BackendOnFakes.StableImage, settings), FirstRevision)).Converged);
        var state = await fakes.ApplyAsync(Manifests(BackendOnFakes.NewImage, settings), SecondRevision);
        Assert.True(state.Converged, state.Problem);
    }

    [Fact]
    public async Task The_replaced_replicas_stay_running_out_of_traffic_within_the_window()
    {
        await DeployBothAsync(Rolling(WindowSeconds));
        fakes.Clock.Advance(TimeSpan.FromSeconds(WindowSeconds - 10));

        // Loops within the window leave them alone, and do not count them as the environment's replicas.
        var state = await fakes.ApplyAsync(Manifests(BackendOnFakes.NewImage, Rolling(WindowSeconds)), SecondRevision);

        Assert.True(state.Converged, state.Problem);
        Assert.Equal(3, state.ReplicasReady);
        Assert.Equal(3, Running(BackendOnFakes.StableImage).Count);
        Assert.Equal(Names(Running(BackendOnFakes.NewImage)), fakes.Router.Served(BackendOnFakes.Environment));
        Assert.Equal(6, fakes.Runtime.Started.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task After_the_window_the_replaced_replicas_are_removed_also_by_a_restarted_agent(bool restart)
    {
        await DeployBothAsync(Rolling(WindowSeconds));
        var serving = Names(Running(BackendOnFakes.NewImage));
        fakes.Clock.Advance(TimeSpan.FromSeconds(WindowSeconds + 1));
        if (restart) fakes.Restart();

        var state = await fakes.ApplyAsync(Manifests(BackendOnFakes.NewImage, Rolling(WindowSeconds)), SecondRevision);

        Assert.True(state.Converged, state.Problem);
        Assert.Empty(Running(BackendOnFakes.StableImage));
        Assert.Equal(serving, Names(Running(BackendOnFakes.NewImage)));
        Assert.Equal(serving, fakes.Router.Served(BackendOnFakes.Environment));
    }

    [Theory]
    [InlineData("rolling", false)]
    [InlineData("rolling", true)]
    [InlineData("canary", false)]
    public async Task A_rollback_to_the_warm_revision_moves_all_traffic_in_one_router_update_and_starts_nothing(string strategy, bool restart)
    {
        var settings = strategy == "canary" ? Canary(WindowSeconds) : Rolling(WindowSeconds);
        await DeployBothAsync(settings);
        var warm = Names(Running(BackendOnFakes.StableImage));
        var bad = Names(Running(BackendOnFakes.NewImage));
        Assert.NotEmpty(warm);
        if (restart) fakes.Restart();
        var started = fakes.Runtime.Started.Count;
        var updates = fakes.Router.History.Count;
        fakes.Clock.Advance(TimeSpan.FromSeconds(WindowSeconds / 2));

        var state = await fakes.ApplyAsync(Manifests(BackendOnFakes.StableImage, settings, rollback: true), RollbackRevision);

        Assert.True(state.Converged, state.Problem);
        Assert.Equal(BackendOnFakes.StableImage.Split('@')[1], state.ImageDigest);
        Assert.Equal(started, fakes.Runtime.Started.Count);
        // The first router update of the rollback already serves the warm replicas alone: no mixed step, no wait.
        var switched = fakes.Router.History.Skip(updates).First(h => h.Key == BackendOnFakes.Environment);
        Assert.Equal(warm, switched.Split.Stable.Concat(switched.Split.Canary).Select(d => d.Id).Order(StringComparer.Ordinal));
        Assert.Equal(warm, fakes.Router.Served(BackendOnFakes.Environment));
        // The version rolled back from is the warm one now, for as long as the window.
        Assert.Equal(bad, Names(Running(BackendOnFakes.NewImage)));
    }

    [Fact]
    public async Task A_rollback_to_the_warm_revision_switches_before_it_probes_the_version_it_leaves()
    {
        var settings = Rolling(WindowSeconds);
        await DeployBothAsync(settings);
        // The version rolled back from hangs: a probe of it costs its timeout, which the switch must not wait for.
        var leaving = Running(BackendOnFakes.NewImage);
        foreach (var replica in leaving) fakes.Runtime.Pause(replica.Id);
        var leavingPorts = leaving.SelectMany(c => c.HostPorts.Values).ToHashSet();
        var updates = fakes.Router.History.Count;
        var requests = fakes.Network.Requests.Count;

        var state = await fakes.ApplyAsync(Manifests(BackendOnFakes.StableImage, settings, rollback: true), RollbackRevision);

        Assert.True(state.Converged, state.Problem);
        var switchedAfter = updates + 1 + fakes.Router.History.Skip(updates).TakeWhile(h => h.Key != BackendOnFakes.Environment).Count();
        var probesOfLeaving = fakes.Network.Requests.Skip(requests).Where(r => leavingPorts.Contains(r.Url.Port)).ToList();
        Assert.NotEmpty(probesOfLeaving);
        Assert.All(probesOfLeaving, probe => Assert.True(probe.RouterUpdates >= switchedAfter,
            $"{probe.Url} was probed after {probe.RouterUpdates} router updates; the switch was update {switchedAfter}"));
    }

    [Fact]
    public async Task A_rollback_outside_the_window_starts_every_replica_in_parallel()
    {
        var settings = Rolling(WindowSeconds);
        await DeployBothAsync(settings);
        fakes.Clock.Advance(TimeSpan.FromSeconds(WindowSeconds + 1));
        await fakes.ApplyAsync(Manifests(BackendOnFakes.NewImage, settings), SecondRevision);
        Assert.Empty(Running(BackendOnFakes.StableImage));
        fakes.Runtime.Behave(BackendOnFakes.StableImage, new ReplicaBehaviour { StartupTime = TimeSpan.FromSeconds(4) });
        var before = fakes.Runtime.Started.Count;

        var state = await fakes.ApplyAsync(Manifests(BackendOnFakes.StableImage, settings, rollback: true), RollbackRevision);

        Assert.True(state.Converged, state.Problem);
        var restarted = fakes.Runtime.Started.Skip(before).ToList();
        Assert.Equal(3, restarted.Count);
        Assert.All(restarted, c => Assert.Equal(BackendOnFakes.StableImage, c.Image));
        // Every replica was created before any became ready: their start-to-ready spans overlap.
        Assert.True(restarted.Max(r => r.StartedAt) < restarted.Min(r => r.FirstReadyAt!.Value),
            string.Join(", ", restarted.Select(r => $"{r.Name}: {r.StartedAt:mm:ss.fff}-{r.FirstReadyAt:mm:ss.fff}")));
        Assert.Equal(Names(restarted), fakes.Router.Served(BackendOnFakes.Environment));
    }

    /// <summary>Deploys both versions, then lets the window end: the first version's replicas are gone.</summary>
    async Task DeployBothAndEndTheWindowAsync(string settings)
    {
        await DeployBothAsync(settings);
        fakes.Clock.Advance(TimeSpan.FromSeconds(WindowSeconds + 1));
        await fakes.ApplyAsync(Manifests(BackendOnFakes.NewImage, settings), SecondRevision);
        Assert.Empty(Running(BackendOnFakes.StableImage));
        // Its record went with them: nothing is warm, no rollback waits for a switch that cannot happen.
        Assert.Null(fakes.Backend.KeptWarm(BackendOnFakes.Environment));
    }

    Task<int> StartAheadAsync(EnvironmentManifests manifests) =>
        fakes.Clock.RunAsync(() => fakes.Backend.StartAheadAsync(manifests, FirstRevision, TestContext.Current.CancellationToken));

    [Theory]
    [InlineData("rolling")]
    [InlineData("canary")]
    public async Task Replicas_started_ahead_of_a_rollbacks_commit_wait_out_of_traffic_through_a_sync_of_the_older_head_and_the_rollback_adopts_them(string strategy)
    {
        var settings = strategy == "canary" ? Canary(WindowSeconds) : Rolling(WindowSeconds);
        await DeployBothAndEndTheWindowAsync(settings);
        var serving = fakes.Router.Served(BackendOnFakes.Environment);
        fakes.Runtime.Behave(BackendOnFakes.StableImage, new ReplicaBehaviour { StartupTime = TimeSpan.FromSeconds(4) });
        var before = fakes.Runtime.Started.Count;

        var replicaCount = Running(BackendOnFakes.NewImage).Count;

        Assert.Equal(replicaCount, await StartAheadAsync(Manifests(BackendOnFakes.StableImage, settings, rollback: true)));

        var ahead = Names(Running(BackendOnFakes.StableImage));
        Assert.Equal(replicaCount, ahead.Count);
        Assert.Equal(serving, fakes.Router.Served(BackendOnFakes.Environment));
        // Before the commit is fetched, a sync applies the older head: it neither routes them nor canaries against them.
        var state = await fakes.ApplyAsync(Manifests(BackendOnFakes.NewImage, settings), SecondRevision);
        Assert.True(state.Converged, state.Problem);
        Assert.Equal(serving, fakes.Router.Served(BackendOnFakes.Environment));
        Assert.Equal(before + replicaCount, fakes.Runtime.Started.Count);
        Assert.DoesNotContain(fakes.Runtime.Running(BackendOnFakes.Environment), c => c.IsCanary);

        state = await fakes.ApplyAsync(Manifests(BackendOnFakes.StableImage, settings, rollback: true), RollbackRevision);

        Assert.True(state.Converged, state.Problem);
        Assert.Equal(before + replicaCount, fakes.Runtime.Started.Count);
        Assert.Equal(ahead, fakes.Router.Served(BackendOnFakes.Environment));
        Assert.Equal(new KeptWarm(SecondRevision, BackendOnFakes.NewImage), fakes.Backend.KeptWarm(BackendOnFakes.Environment));
    }

    [Fact]
    public async Task Nothing_starts_ahead_when_the_rollbacks_configmap_differs_from_the_served_one_or_its_replicas_exist()
    {
        var settings = Rolling(WindowSeconds);
        await DeployBothAndEndTheWindowAsync(settings);
        var before = fakes.Runtime.Started.Count;

        // The serving replicas read the environment's ConfigMap folder in place: writing the rollback's would change them.
        Assert.Equal(0, await StartAheadAsync(Manifests(BackendOnFakes.StableImage, settings + "\nflags:\n  Greeting.V2:\n    enabled: true\n", rollback: true)));
        Assert.Equal(0, await StartAheadAsync(Manifests(BackendOnFakes.NewImage, settings, rollback: true)));
        // Blue-green keeps its own warm colour.
        Assert.Equal(0, await StartAheadAsync(BackendOnFakes.Manifests(BackendOnFakes.StableImage, 3, "  type: blue-green\n  blueGreen:\n    previewPort: 18091\n") with { IsRollback = true }));

        Assert.Equal(before, fakes.Runtime.Started.Count);
        Assert.Null(fakes.Backend.KeptWarm(BackendOnFakes.Environment));
    }

    [Fact]
    public async Task A_warm_replica_that_went_bad_is_started_afresh_and_the_switch_waits_for_it()
    {
        var settings = Rolling(WindowSeconds);
        await DeployBothAsync(settings);
        var warm = Running(BackendOnFakes.StableImage);
        fakes.Runtime.Pause(warm[0].Id);
        var before = fakes.Runtime.Started.Count;
        var updates = fakes.Router.History.Count;

        var state = await fakes.ApplyAsync(Manifests(BackendOnFakes.StableImage, settings, rollback: true), RollbackRevision);

        Assert.True(state.Converged, state.Problem);
        var fresh = fakes.Runtime.Started.Skip(before).Single();
        Assert.Equal(BackendOnFakes.StableImage, fresh.Image);
        Assert.DoesNotContain(fakes.Runtime.Containers, c => c.Id == warm[0].Id);
        Assert.Equal(Names(warm.Skip(1).Append(fresh)), fakes.Router.Served(BackendOnFakes.Environment));
        // Until the fresh replica was ready, the serving revision kept all traffic beside the two ready warm ones.
        Assert.All(fakes.Router.History.Skip(updates), h => Assert.NotEmpty(h.Split.Stable));
    }

    [Theory]
    [InlineData("rolling")]
    [InlineData("canary")]
    public async Task An_operators_rollback_moves_all_traffic_to_the_warm_replicas_ahead_of_its_commit_which_then_changes_nothing(string strategy)
    {
        var settings = strategy == "canary" ? Canary(WindowSeconds) : Rolling(WindowSeconds);
        await DeployBothAsync(settings);
        var warm = Names(Running(BackendOnFakes.StableImage));
        var started = fakes.Runtime.Started.Count;

        Assert.Equal(new KeptWarm(FirstRevision, BackendOnFakes.StableImage), fakes.Backend.KeptWarm(BackendOnFakes.Environment));
        var updates = fakes.Router.History.Count;
        Assert.True(await fakes.Clock.RunAsync(() => fakes.Backend.SwitchToWarmAsync(BackendOnFakes.Environment, TestContext.Current.CancellationToken)));

        // One router update, nothing started: all traffic on the warm replicas before Git has the rollback.
        Assert.Equal(warm, fakes.Router.Served(BackendOnFakes.Environment));
        Assert.Single(fakes.Router.History.Skip(updates));
        Assert.Equal(started, fakes.Runtime.Started.Count);
        // The sync of the rollback's commit finds them serving: traffic never goes back to the version left.
        var state = await fakes.ApplyAsync(Manifests(BackendOnFakes.StableImage, settings, rollback: true), RollbackRevision);
        Assert.True(state.Converged, state.Problem);
        Assert.All(fakes.Router.History.Skip(updates).Where(h => h.Key == BackendOnFakes.Environment),
            h => Assert.Equal(warm, h.Split.Stable.Concat(h.Split.Canary).Select(d => d.Id).Order(StringComparer.Ordinal)));
        Assert.Equal(started, fakes.Runtime.Started.Count);
        // The version left is the warm one now.
        Assert.Equal(new KeptWarm(SecondRevision, BackendOnFakes.NewImage), fakes.Backend.KeptWarm(BackendOnFakes.Environment));
    }

    [Fact]
    public async Task No_switch_ahead_of_the_commit_when_a_warm_replica_is_unready_or_the_window_is_over()
    {
        var settings = Rolling(WindowSeconds);
        await DeployBothAsync(settings);
        var serving = fakes.Router.Served(BackendOnFakes.Environment);
        var updates = fakes.Router.History.Count;
        var warm = Running(BackendOnFakes.StableImage);

        fakes.Runtime.Pause(warm[0].Id);
        Assert.False(await fakes.Clock.RunAsync(() => fakes.Backend.SwitchToWarmAsync(BackendOnFakes.Environment, TestContext.Current.CancellationToken)));
        fakes.Clock.Advance(TimeSpan.FromSeconds(WindowSeconds + 1));
        Assert.Null(fakes.Backend.KeptWarm(BackendOnFakes.Environment));
        Assert.False(await fakes.Clock.RunAsync(() => fakes.Backend.SwitchToWarmAsync(BackendOnFakes.Environment, TestContext.Current.CancellationToken)));

        Assert.Equal(updates, fakes.Router.History.Count);
        Assert.Equal(serving, fakes.Router.Served(BackendOnFakes.Environment));
    }

    [Fact]
    public async Task A_newer_rollout_keeps_only_the_revision_it_replaced_warm()
    {
        const string ThirdImage = "127.0.0.1:5000/beacon@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
        var settings = Rolling(WindowSeconds);
        await DeployBothAsync(settings);

        var state = await fakes.ApplyAsync(Manifests(ThirdImage, settings), RollbackRevision);

        Assert.True(state.Converged, state.Problem);
        Assert.Empty(Running(BackendOnFakes.StableImage));
        Assert.Equal(3, Running(BackendOnFakes.NewImage).Count);
        Assert.Equal(Names(Running(ThirdImage)), fakes.Router.Served(BackendOnFakes.Environment));
    }

    [Fact]
    public async Task With_no_window_the_replaced_replicas_stop_after_the_rollout()
    {
        await DeployBothAsync(Rolling(0));

        Assert.Empty(Running(BackendOnFakes.StableImage));
        Assert.Equal(Names(Running(BackendOnFakes.NewImage)), fakes.Router.Served(BackendOnFakes.Environment));
    }

    public void Dispose() => fakes.Dispose();
}
