using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Oci;

namespace Slipway.Delivery.Promotion;

/// <summary>How long a digest has run in an environment without interruption, read from the environment's config-repo history.</summary>
/// <param name="Since">The commit time of the deploy that put the digest there (the oldest of the unbroken run of deploys of it).</param>
/// <param name="DeployCommit">That deploy commit: its Source-Commit/Source-Time trailers travel on with a promotion.</param>
public sealed record SoakTime(ImageDigest Digest, DateTimeOffset Since, ConfigCommit DeployCommit, TimeSpan Elapsed)
{
    /// <summary>
    /// Walks <paramref name="history"/> (commits touching environments/&lt;env&gt;/, newest first) back while the deploys
    /// carry <paramref name="digest"/>: flag or setting changes that keep the digest do not restart the soak, any other
    /// image (a rollback included) does. Commits without Slipway trailers (hand edits) are passed over. Null when the
    /// newest deploy does not carry the digest.
    /// </summary>
    public static SoakTime? Measure(IReadOnlyList<ConfigCommit> history, ImageDigest digest, DateTimeOffset now)
    {
        ConfigCommit? oldest = null;
        foreach (var commit in history)
        {
            if (commit.Deployment is not { } deployment) continue;
            if (ImageDigest.Of(deployment.Image) != digest) break;
            oldest = commit;
        }
        return oldest is null ? null : new SoakTime(digest, oldest.CommitTime, oldest, now - oldest.CommitTime);
    }

    public bool Satisfies(TimeSpan required) => Elapsed >= required;
}
