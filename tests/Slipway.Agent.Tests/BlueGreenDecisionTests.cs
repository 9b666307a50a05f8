using Slipway.Agent.Tests.Fakes;
using Slipway.Delivery.AgentApi;

namespace Slipway.Agent.Tests;

/// <summary>
/// The blue-green strategy's decisions on the fake runtime, router and clock (fast tier): the switch once the new
/// colour is ready and passed its smoke checks, and no switch (the live colour keeps serving, Git is reverted) when
/// it is not. BlueGreenTests drills the same on the real engine.
/// </summary>
public sealed class BlueGreenDecisionTests : IDisposable
{
    const string BlueRevision = "3333333333333333333333333333333333333333";
    const string GreenRevision = "4444444444444444444444444444444444444444";
    const string Strategy = """
          type: blue-green
          blueGreen:
            previewPort: 18091
            keepWarmSeconds: 60
        """;

    readonly BackendOnFakes fakes = new();

    async Task<IReadOnlyList<string>> DeployBlueAsync()
    {
        var state = await fakes.ApplyAsync(BackendOnFakes.Manifests(BackendOnFakes.StableImage, 2, Strategy), BlueRevision);
        Assert.True(state.Converged, state.Problem);
        var blue = fakes.Runtime.Running(BackendOnFakes.Environment).Select(c => c.Name).ToList();
        Assert.All(fakes.Runtime.Running(BackendOnFakes.Environment), c => Assert.Equal("blue", c.Labels["slipway.colour"]));
        Assert.Equal(blue, fakes.Router.Served(BackendOnFakes.Environment));
        return blue;
    }

    [Fact]
    public async Task Traffic_switches_to_the_new_colour_once_it_is_ready_and_the_old_one_is_kept_warm()
    {
        var blue = await DeployBlueAsync();

        var state = await fakes.ApplyAsync(BackendOnFakes.Manifests(BackendOnFakes.NewImage, 2, Strategy), GreenRevision);

        Assert.True(state.Converged, state.Problem);
        Assert.Equal(RolloutPhase.Succeeded, state.Rollout!.Phase);
        Assert.Contains("from the blue to the green colour", state.Rollout.Message, StringComparison.Ordinal);
        var green = fakes.Runtime.Running(BackendOnFakes.Environment).Where(c => c.Image == BackendOnFakes.NewImage).ToList();
        Assert.Equal(2, green.Count);
        Assert.All(green, c => Assert.Equal("green", c.Labels["slipway.colour"]));
        // The new colour was previewed alone on its own port before the one switch of the environment's router.
        Assert.Contains(fakes.Router.History, h => h.Key == $"{BackendOnFakes.Environment}-preview" && h.Split.Stable.Count == 2);
        Assert.Equal(green.Select(c => c.Name).Order(StringComparer.Ordinal), fakes.Router.Served(BackendOnFakes.Environment));
        Assert.Null(fakes.Router.Port($"{BackendOnFakes.Environment}-preview"));
        Assert.DoesNotContain(fakes.Router.History, h => h.Key == BackendOnFakes.Environment
            && h.Split.Stable.Select(d => d.Id).Intersect(blue).Any() && h.Split.Stable.Select(d => d.Id).Intersect(green.Select(c => c.Name)).Any());
        // Blue keeps running out of traffic for a switch-back.
        Assert.Equal(blue, fakes.Runtime.Running(BackendOnFakes.Environment).Where(c => c.Image == BackendOnFakes.StableImage).Select(c => c.Name));
        Assert.Empty(fakes.Rollback.Reverts);
    }

    [Theory]
    [InlineData(false, "did not pass its readiness probe")]
    [InlineData(true, "smoke check on the preview failed")]
    public async Task A_new_colour_that_fails_never_gets_traffic_and_git_is_reverted(bool readyButWrongVersion, string reason)
    {
        var blue = await DeployBlueAsync();
        var routedBefore = fakes.Router.History.Count;
        fakes.Runtime.Behave(BackendOnFakes.NewImage, readyButWrongVersion
            ? new ReplicaBehaviour { ReportsWrongDigest = true }
            : new ReplicaBehaviour { BecomesReady = false });

        var state = await fakes.ApplyAsync(BackendOnFakes.Manifests(BackendOnFakes.NewImage, 2, Strategy), GreenRevision);

        Assert.False(state.Converged);
        Assert.Equal(RolloutPhase.Aborted, state.Rollout!.Phase);
        Assert.Contains(reason, state.Rollout.Message, StringComparison.Ordinal);
        Assert.Contains("Live traffic stayed on the blue colour", state.Rollout.Message, StringComparison.Ordinal);
        Assert.All(fakes.Router.History.Skip(routedBefore).Where(h => h.Key == BackendOnFakes.Environment), h => Assert.Equal(blue, h.Split.Stable.Select(d => d.Id).Order(StringComparer.Ordinal)));
        Assert.Equal(blue, fakes.Runtime.Running(BackendOnFakes.Environment).Select(c => c.Name));
        Assert.Equal([(BackendOnFakes.Environment, GreenRevision, BackendOnFakes.StableImage)], fakes.Rollback.Reverts);
        Assert.Null(fakes.Router.Port($"{BackendOnFakes.Environment}-preview"));
    }

    public void Dispose() => fakes.Dispose();
}
