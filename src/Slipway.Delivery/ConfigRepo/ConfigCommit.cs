namespace Slipway.Delivery.ConfigRepo;

/// <summary>A commit of the config repo with the trailers git parsed from its message.</summary>
public sealed record ConfigCommit(
    string Sha,
    string Subject,
    DateTimeOffset AuthorTime,
    DateTimeOffset CommitTime,
    IReadOnlyDictionary<string, string> Trailers)
{
    /// <summary>The Slipway trailers, or null for commits that are no deployment (the seed, hand edits).</summary>
    public DeploymentTrailers? Deployment => DeploymentTrailers.FromTrailers(Trailers);
}

/// <summary>The outcome of a commit: the config repo's head afterwards, whether a commit was made, and how many pushes it took.</summary>
public sealed record CommitResult(string Sha, bool Changed, int PushAttempts)
{
    public string Outcome => Changed ? "committed" : "unchanged";
}
