namespace Slipway.Delivery.Metrics;

/// <summary>What a config-repo commit did to an environment.</summary>
public enum DeploymentKind
{
    /// <summary>A new version (or configuration) put forward: counts as a deployment.</summary>
    Deploy,

    /// <summary>A revert of a deployment (Slipway-Rollback-Of names it): restores service, is not a deployment.</summary>
    Rollback,

    /// <summary>
    /// A revert of a rollback: it puts the version the rollback removed back into the environment, so it counts as a
    /// deployment (and can fail in turn), but credits no source commits (they were credited when first deployed).
    /// </summary>
    Redeploy,
}

/// <summary>A source commit credited to the deploy that first put it in the environment.</summary>
public sealed record SourceChange(string Sha, DateTimeOffset Time);

/// <summary>One deployment event of an environment, read from a config-repo commit and its trailers.</summary>
/// <param name="Sha">The config commit.</param>
/// <param name="Time">When the config commit was made (its committer time): when the environment was told to change.</param>
/// <param name="Changes">The source commits this event put in the environment for the first time (empty for rollbacks).</param>
/// <param name="Failed">
/// The event reported its own failure (a GitHub deployment whose final status is failure or error): a failed deployment at
/// once, and never a restore. Git history never sets it: there a failure is only known through the commit that restored it.
/// </param>
public sealed record DeploymentEvent(
    string Sha,
    DateTimeOffset Time,
    DeploymentKind Kind,
    string Image,
    string SourceCommit,
    DateTimeOffset SourceTime,
    string Run,
    string? RollbackOf,
    bool IsFix,
    string? FixOf,
    IReadOnlyList<SourceChange> Changes,
    bool Failed = false)
{
    /// <summary>Counts in deployment frequency and as the denominator of the change failure rate.</summary>
    public bool IsDeployment => Kind != DeploymentKind.Rollback;

    public string ShortSha => Sha[..Math.Min(12, Sha.Length)];

    /// <summary>True when <paramref name="reference"/> (a full or abbreviated commit id from a trailer) names this event.</summary>
    public bool IsNamedBy(string? reference) =>
        reference is { Length: >= 7 } && Sha.StartsWith(reference, StringComparison.OrdinalIgnoreCase);
}

/// <summary>An environment's deployment events, oldest first, and where they were read.</summary>
public sealed record DeploymentHistory(string Environment, IReadOnlyList<DeploymentEvent> Events, DoraSource Source = DoraSource.Git);
