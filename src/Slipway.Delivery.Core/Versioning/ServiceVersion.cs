namespace Slipway.Delivery.Versioning;

/// <summary>
/// The version of the service at one commit, MinVer-style: the nearest <c>v?X.Y.Z</c> tag plus the height above it.
/// <see cref="CommitTime"/> is what every timestamp of a build derives from, so a commit always builds the same bytes.
/// </summary>
public sealed record ServiceVersion(string Version, string Commit, DateTimeOffset CommitTime, int Height, string? Tag)
{
    /// <summary>The first 7 hex digits of the commit, as in the image tag <c>sha-&lt;short&gt;</c>.</summary>
    public string ShortCommit => Commit[..Math.Min(7, Commit.Length)];

    /// <summary>The commit time in seconds since the Unix epoch (SOURCE_DATE_EPOCH).</summary>
    public long CommitTimeUnixSeconds => CommitTime.ToUnixTimeSeconds();

    /// <summary>The commit time in UTC, RFC 3339 (what the OCI 'created' fields hold).</summary>
    public string CommitTimeRfc3339 => CommitTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public override string ToString() => $"{Version} ({ShortCommit})";
}
