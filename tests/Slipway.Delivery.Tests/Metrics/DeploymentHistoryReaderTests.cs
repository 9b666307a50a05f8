using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Metrics;
using Slipway.Delivery.Tests.ConfigRepo;

namespace Slipway.Delivery.Tests.Metrics;

/// <summary>Event classification from trailers alone (no source repository: head commits at Slipway-Source-Time).</summary>
public sealed class DeploymentHistoryReaderTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private static ConfigCommit Commit(string sha, int hour, string source, string? rollbackOf = null, Dictionary<string, string>? extra = null)
    {
        var trailers = new Dictionary<string, string>
        {
            [DeploymentTrailers.EnvironmentKey] = "production",
            [DeploymentTrailers.ImageKey] = "127.0.0.1:5000/beacon@sha256:" + new string('a', 64),
            [DeploymentTrailers.SourceCommitKey] = source,
            [DeploymentTrailers.SourceTimeKey] = DeploymentTrailers.FormatTime(Noon.AddHours(hour - 1).ToOffset(TimeSpan.FromHours(-3))),
            [DeploymentTrailers.RunKey] = "run-" + sha,
        };
        if (rollbackOf is not null) trailers[DeploymentTrailers.RollbackOfKey] = rollbackOf;
        foreach (var (key, value) in extra ?? []) trailers[key] = value;
        return new ConfigCommit(sha, "subject", Noon.AddHours(hour), Noon.AddHours(hour), trailers);
    }

    [Fact]
    public async Task Abbreviated_rollback_targets_match_and_an_unknown_target_is_still_a_rollback()
    {
        var sink = new CollectingSink();
        var d1 = new string('1', 40);
        var d2 = new string('2', 40);
        var history = await DeploymentHistoryReader.FromCommitsAsync("production",
        [
            Commit(d1, 0, "aaaaaaa1"),
            Commit(d2, 1, "aaaaaaa2", extra: new() { [ChangeTrailers.ChangeTypeKey] = "Fix" }),
            Commit(new string('3', 40), 2, "aaaaaaa1", rollbackOf: d2[..9]),
            Commit(new string('4', 40), 3, "aaaaaaa2", rollbackOf: new string('3', 12)),
            Commit(new string('5', 40), 4, "aaaaaaa1", rollbackOf: new string('f', 40)),
        ], sourceRepository: null, sink.Logger(), TestContext.Current.CancellationToken);

        Assert.Equal([DeploymentKind.Deploy, DeploymentKind.Deploy, DeploymentKind.Rollback, DeploymentKind.Redeploy, DeploymentKind.Rollback],
            history.Events.Select(e => e.Kind));
        Assert.True(history.Events[1].IsFix);                                       // change type read case-insensitively
        Assert.Equal([1, 1, 0, 0, 0], history.Events.Select(e => e.Changes.Count));  // head commits only, nothing for restores
        Assert.Equal(TimeSpan.FromHours(1), history.Events[0].Time - history.Events[0].Changes[0].Time);   // offset -03:00 parsed
        Assert.Contains("which is no deployment of production", sink.Text);
    }
}
