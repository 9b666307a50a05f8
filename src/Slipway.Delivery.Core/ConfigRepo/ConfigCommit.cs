using System.Globalization;

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

    /// <summary>The <c>git log</c> format <see cref="ParseLog"/> reads: id, subject, author and commit time, trailers; one record per commit.</summary>
    public const string LogFormat = "--format=%H%x1f%s%x1f%aI%x1f%cI%x1f%(trailers:only,unfold)%x1e";

    /// <summary>The commits of a <c>git log</c> run with <see cref="LogFormat"/>, in its order.</summary>
    public static IReadOnlyList<ConfigCommit> ParseLog(string output) => output
        .Split('\x1e', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(record => record.Split('\x1f'))
        .Where(fields => fields.Length == 5)
        .Select(fields => new ConfigCommit(fields[0], fields[1], ParseTime(fields[2]), ParseTime(fields[3]), ParseTrailers(fields[4])))
        .ToList();

    private static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    private static Dictionary<string, string> ParseTrailers(string text)
    {
        var trailers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0) trailers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        return trailers;
    }
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
