using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Oci;
using Slipway.Delivery.Promotion;

namespace Slipway.Delivery.Tests.Promotion;

/// <summary>How long a digest has run in an environment, from its config-repo history (newest first).</summary>
public sealed class SoakTimeTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly string A = "sha256:" + new string('a', 64);
    private static readonly string B = "sha256:" + new string('b', 64);

    private static ConfigCommit Deploy(string sha, string digest, DateTimeOffset at, string? rollbackOf = null)
    {
        var trailers = new Dictionary<string, string>
        {
            [DeploymentTrailers.EnvironmentKey] = "staging",
            [DeploymentTrailers.ImageKey] = "127.0.0.1:5000/beacon@" + digest,
            [DeploymentTrailers.SourceCommitKey] = "0123456789abcdef0123456789abcdef01234567",
            [DeploymentTrailers.RunKey] = "run-" + sha,
        };
        if (rollbackOf is not null) trailers[DeploymentTrailers.RollbackOfKey] = rollbackOf;
        return new ConfigCommit(sha, "Deploy", at, at, trailers);
    }

    private static ConfigCommit HandEdit(string sha, DateTimeOffset at) => new(sha, "edit by hand", at, at, new Dictionary<string, string>());

    [Fact]
    public void The_soak_starts_at_the_oldest_deploy_of_the_unbroken_run_of_the_digest()
    {
        // newest first: a flag change keeping A, A deployed, and before that B.
        IReadOnlyList<ConfigCommit> history = [Deploy("3", A, Noon.AddMinutes(-10)), Deploy("2", A, Noon.AddMinutes(-30)), Deploy("1", B, Noon.AddHours(-2))];

        var soak = SoakTime.Measure(history, ImageDigest.Parse(A), Noon)!;

        Assert.Equal("2", soak.DeployCommit.Sha);
        Assert.Equal(TimeSpan.FromMinutes(30), soak.Elapsed);
        Assert.True(soak.Satisfies(TimeSpan.FromMinutes(30)));
        Assert.False(soak.Satisfies(TimeSpan.FromMinutes(31)));
    }

    [Fact]
    public void Another_image_in_between_restarts_the_soak_and_hand_edits_are_passed_over()
    {
        // A, then B (a rollback), then A again: only the latest run of A counts.
        IReadOnlyList<ConfigCommit> history =
        [
            HandEdit("5", Noon.AddMinutes(-1)), Deploy("4", A, Noon.AddMinutes(-5)), Deploy("3", B, Noon.AddMinutes(-20), rollbackOf: "2"),
            Deploy("2", A, Noon.AddHours(-1)),
        ];

        var soak = SoakTime.Measure(history, ImageDigest.Parse(A), Noon)!;

        Assert.Equal("4", soak.DeployCommit.Sha);
        Assert.Equal(TimeSpan.FromMinutes(5), soak.Elapsed);
    }

    [Fact]
    public void A_digest_the_newest_deploy_does_not_carry_has_no_soak()
    {
        Assert.Null(SoakTime.Measure([Deploy("2", B, Noon), Deploy("1", A, Noon.AddHours(-1))], ImageDigest.Parse(A), Noon));
        Assert.Null(SoakTime.Measure([], ImageDigest.Parse(A), Noon));
    }
}
