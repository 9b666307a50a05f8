using Slipway.Agent.Tests.Fakes;

namespace Slipway.Agent.Tests;

/// <summary>
/// Convergence on the fake runtime, router and clock (fast tier): what died or was removed by hand is recreated, and
/// what Git no longer has is pruned. ConvergenceTests and ApplyTests drill the same on the real engine.
/// </summary>
public sealed class ConvergenceDecisionTests : IDisposable
{
    const string Revision = "7777777777777777777777777777777777777777";

    readonly BackendOnFakes fakes = new();

    [Fact]
    public async Task Replicas_that_died_or_were_removed_by_hand_are_recreated_and_the_survivor_kept()
    {
        var manifests = BackendOnFakes.Manifests(BackendOnFakes.StableImage, 3);
        await fakes.ApplyAsync(manifests, Revision);
        var before = fakes.Runtime.Running(BackendOnFakes.Environment);
        fakes.Runtime.Kill(before[0].Id);
        fakes.Runtime.RemoveByHand(before[1].Id);

        var state = await fakes.ApplyAsync(manifests, Revision);

        Assert.True(state.Converged, state.Problem);
        var after = fakes.Runtime.Running(BackendOnFakes.Environment);
        Assert.Equal(3, after.Count);
        Assert.Contains(after, c => c.Id == before[2].Id);
        Assert.DoesNotContain(after, c => c.Id == before[0].Id || c.Id == before[1].Id);
        Assert.DoesNotContain(fakes.Runtime.Containers, c => c.State == "exited");
        Assert.Equal(after.Select(c => c.Name), fakes.Router.Served(BackendOnFakes.Environment));
    }

    [Fact]
    public async Task An_environment_git_no_longer_has_is_pruned_with_its_route_and_config()
    {
        await fakes.ApplyAsync(BackendOnFakes.Manifests(BackendOnFakes.StableImage, 2), Revision);
        Assert.Equal(2, fakes.Runtime.Running(BackendOnFakes.Environment).Count);
        var configDirectory = Path.Combine(fakes.Settings.ConfigRoot, BackendOnFakes.Environment);
        Assert.True(Directory.Exists(configDirectory));

        await fakes.Clock.RunAsync(() => fakes.Backend.PruneAsync(BackendOnFakes.Environment, TestContext.Current.CancellationToken));

        Assert.Empty(fakes.Runtime.Containers);
        Assert.Null(fakes.Router.Split(BackendOnFakes.Environment));
        Assert.False(Directory.Exists(configDirectory));
        var status = await fakes.Backend.GetStatusAsync(BackendOnFakes.Environment, TestContext.Current.CancellationToken);
        Assert.Equal("nothing applied yet", status.Problem);
    }

    public void Dispose() => fakes.Dispose();
}
