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

/// <summary>A change pushed to a branch of its own (a promotion pull request's head) rather than to the branch the agent follows.</summary>
/// <param name="Sha">The branch's new head; the base when nothing changed.</param>
/// <param name="BaseSha">The followed branch's head the change was made on.</param>
/// <param name="DiffStat">git diff --stat of the change (empty when unchanged).</param>
public sealed record BranchCommit(string Branch, string Sha, string BaseSha, bool Changed, string DiffStat);
