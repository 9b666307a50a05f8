using Slipway.Agent.Backends.Docker;
using Slipway.Agent.Rollouts;
using Slipway.Delivery.AgentApi;

namespace Slipway.Agent.Tests;

public sealed class RolloutStoreTests : IDisposable
{
    readonly string directory = Path.Combine(Path.GetTempPath(), "slipway-rollouts-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public void Blue_green_state_survives_a_round_trip_through_its_file()
    {
        var store = new RolloutStore(directory);
        var at = new DateTimeOffset(2026, 11, 28, 16, 0, 0, TimeSpan.Zero);
        var state = new BlueGreenState
        {
            LiveTemplate = "aaaa", LiveColour = "green", LiveImage = "r/b@sha256:1", WarmTemplate = "bbbb", WarmColour = "blue", WarmUntil = at,
            Status = new RolloutStatus("blue-green", RolloutPhase.Succeeded, "rev", "sha256:1", "sha256:0", 2, 2, 100, 9080, [],
                [new GateResult("load-test", 200, true, "answered 200", at)], "switched", null, at, at),
        };
        store.Save("production", state);

        var loaded = store.Load<BlueGreenState>("production");
        Assert.NotNull(loaded);
        Assert.Equal(("aaaa", "green", "bbbb", at), (loaded.LiveTemplate, loaded.LiveColour, loaded.WarmTemplate, loaded.WarmUntil));
        Assert.Equal(RolloutPhase.Succeeded, loaded.Status?.Phase);
        Assert.Equal("load-test", Assert.Single(loaded.Status!.Gates).Name);
        Assert.Equal(["production.json"], Directory.GetFiles(directory).Select(Path.GetFileName));
    }

    [Fact]
    public void A_missing_or_unreadable_file_is_no_state()
    {
        var store = new RolloutStore(directory);
        Assert.Null(store.Load<BlueGreenState>("staging"));
        Directory.CreateDirectory(directory);
        File.WriteAllText(store.PathFor("staging"), "{ half a");
        Assert.Null(store.Load<BlueGreenState>("staging"));
        store.Delete("staging");
        Assert.False(File.Exists(store.PathFor("staging")));
    }

    [Fact]
    public void A_canary_record_survives_a_new_store_over_the_same_folder_and_replaces_the_previous_one_whole()
    {
        var status = new RolloutStatus("canary", RolloutPhase.Progressing, "abc123", "sha256:new", "sha256:old", 2, 3, 50, null,
            [new AnalysisResult(1, 10, DateTimeOffset.UnixEpoch, 40, 0, 3.5, 300, 0, 2.1, AnalysisVerdict.Passed, "fine")], [], "step 2/3", null,
            DateTimeOffset.UnixEpoch, null);
        new RolloutStore(directory).Save("production", new RolloutRecord(status, "0123456789abcdef", 1, true, false));
        new RolloutStore(directory).Save("production", new RolloutRecord(status with { Step = 3 }, "0123456789abcdef", 2, true, false));

        var loaded = new RolloutStore(directory).Load<RolloutRecord>("production")!;
        Assert.Equal(3, loaded.Status.Step);
        Assert.Equal(2, loaded.StepsPassed);
        Assert.Equal(AnalysisVerdict.Passed, Assert.Single(loaded.Status.Analysis).Verdict);
        Assert.Equal(["production.json"], Directory.GetFiles(directory).Select(Path.GetFileName));
    }

    public void Dispose()
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }
}
