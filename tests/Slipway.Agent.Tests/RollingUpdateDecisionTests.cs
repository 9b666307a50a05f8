using Slipway.Agent.Tests.Fakes;

namespace Slipway.Agent.Tests;

/// <summary>
/// The rolling update on the fake runtime, router and clock (fast tier): a revision's replicas start in parallel,
/// replace the old template once routed, and a replica that fails leaves the previous replicas serving.
/// RollingUpdateTests drills it on the real engine.
/// </summary>
public sealed class RollingUpdateDecisionTests : IDisposable
{
    const string FirstRevision = "5555555555555555555555555555555555555555";
    const string SecondRevision = "6666666666666666666666666666666666666666";

    readonly BackendOnFakes fakes = new();

    [Fact]
    public async Task A_revisions_replicas_start_in_parallel()
    {
        fakes.Runtime.Behave(BackendOnFakes.StableImage, new ReplicaBehaviour { StartupTime = TimeSpan.FromSeconds(4) });
        var started = fakes.Clock.GetUtcNow();

        var state = await fakes.ApplyAsync(BackendOnFakes.Manifests(BackendOnFakes.StableImage, 3), FirstRevision);

        Assert.True(state.Converged, state.Problem);
        var replicas = fakes.Runtime.Started;
        Assert.Equal(3, replicas.Count);
        // Every replica was created before any became ready: their start-to-ready spans overlap.
        Assert.True(replicas.Max(r => r.StartedAt) < replicas.Min(r => r.FirstReadyAt!.Value),
            string.Join(", ", replicas.Select(r => $"{r.Name}: {r.StartedAt:mm:ss.fff}-{r.FirstReadyAt:mm:ss.fff}")));
        // One startup time, not three.
        Assert.True(fakes.Clock.GetUtcNow() - started < TimeSpan.FromSeconds(8), $"the deploy took {fakes.Clock.GetUtcNow() - started}");
    }

    [Fact]
    public async Task A_new_template_replaces_every_replica_and_only_ready_replicas_are_routed()
    {
        await fakes.ApplyAsync(BackendOnFakes.Manifests(BackendOnFakes.StableImage, 3), FirstRevision);
        var old = fakes.Runtime.Running(BackendOnFakes.Environment).Select(c => c.Name).ToList();

        var state = await fakes.ApplyAsync(BackendOnFakes.Manifests(BackendOnFakes.NewImage, 3), SecondRevision);

        Assert.True(state.Converged, state.Problem);
        Assert.Equal(BackendOnFakes.NewImage.Split('@')[1], state.ImageDigest);
        var running = fakes.Runtime.Running(BackendOnFakes.Environment);
        Assert.Equal(3, running.Count);
        Assert.All(running, c => Assert.Equal(BackendOnFakes.NewImage, c.Image));
        Assert.Equal(running.Select(c => c.Name), fakes.Router.Served(BackendOnFakes.Environment));
        // The router never went empty on the way: the old replicas left it only once the new ones were routed.
        Assert.All(fakes.Router.History.Skip(1), h => Assert.NotEmpty(h.Split.Stable));
        Assert.All(fakes.Runtime.Started.Where(c => old.Contains(c.Name)), c => Assert.NotNull(c.RemovedAt));
    }

    [Theory]
    [InlineData(false, "did not pass its readiness probe")]
    [InlineData(true, "Docker could not start replica")]
    public async Task A_replica_that_fails_stops_the_rollout_and_the_previous_replicas_keep_serving(bool refusedByEngine, string reason)
    {
        await fakes.ApplyAsync(BackendOnFakes.Manifests(BackendOnFakes.StableImage, 2), FirstRevision);
        var old = fakes.Runtime.Running(BackendOnFakes.Environment).Select(c => c.Name).ToList();
        fakes.Runtime.Behave(BackendOnFakes.NewImage, refusedByEngine ? new ReplicaBehaviour { RefusedByEngine = true } : new ReplicaBehaviour { BecomesReady = false });

        var state = await fakes.ApplyAsync(BackendOnFakes.Manifests(BackendOnFakes.NewImage, 2), SecondRevision);

        Assert.False(state.Converged);
        Assert.Contains(reason, state.Problem, StringComparison.Ordinal);
        Assert.Contains("The previous replicas keep serving", state.Problem, StringComparison.Ordinal);
        Assert.Equal(old, fakes.Runtime.Running(BackendOnFakes.Environment).Select(c => c.Name));
        Assert.Equal(old, fakes.Router.Served(BackendOnFakes.Environment));
    }

    public void Dispose() => fakes.Dispose();
}
