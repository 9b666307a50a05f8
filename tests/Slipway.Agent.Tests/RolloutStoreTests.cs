using Slipway.Agent.Backends.Docker;
using Slipway.Delivery.AgentApi;

namespace Slipway.Agent.Tests;

public sealed class RolloutStoreTests : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("slipway-rollouts-").FullName;

    [Fact]
    public void A_record_survives_a_new_store_over_the_same_folder_and_replaces_the_previous_one_whole()
    {
        var status = new RolloutStatus("canary", RolloutPhase.Progressing, "abc123", "sha256:new", "sha256:old", 2, 3, 50, null,
            [new AnalysisResult(1, 10, DateTimeOffset.UnixEpoch, 40, 0, 3.5, 300, 0, 2.1, AnalysisVerdict.Passed, "fine")], [], "step 2/3", null,
            DateTimeOffset.UnixEpoch, null);
        new RolloutStore(directory).Save("production", new RolloutRecord(status, "0123456789abcdef", 1, true, false));
        new RolloutStore(directory).Save("production", new RolloutRecord(status with { Step = 3 }, "0123456789abcdef", 2, true, false));

        var loaded = new RolloutStore(directory).Load("production")!;
        Assert.Equal(3, loaded.Status.Step);
        Assert.Equal(2, loaded.StepsPassed);
        Assert.Equal(AnalysisVerdict.Passed, Assert.Single(loaded.Status.Analysis).Verdict);
        Assert.Equal(["production.json"], Directory.GetFiles(directory).Select(Path.GetFileName));
        Assert.Null(new RolloutStore(directory).Load("staging"));
    }

    [Fact]
    public void An_unreadable_record_counts_as_none()
    {
        File.WriteAllText(Path.Combine(directory, "staging.json"), "{ not json");
        Assert.Null(new RolloutStore(directory).Load("staging"));
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
