namespace Slipway.Delivery.GitHub;

public enum ChecksOutcome
{
    Pending,
    Passed,
    Failed,
}

/// <summary>The combined verdict of a commit's statuses and check runs.</summary>
public sealed record ChecksVerdict(ChecksOutcome Outcome, IReadOnlyList<GitHubCheck> Checks, IReadOnlyList<string> Failing, IReadOnlyList<string> Waiting)
{
    /// <summary>
    /// Failed when any status or check run failed (named in <see cref="Failing"/>); pending while one runs or a
    /// <paramref name="required"/> check has not reported; passed when every check is green. No check at all is
    /// pending here: the caller decides how long "no CI" may take.
    /// </summary>
    public static ChecksVerdict Evaluate(IReadOnlyList<GitHubCheck> checks, IReadOnlyList<string> required)
    {
        var failing = checks.Where(check => check.State == GitHubCheckState.Failure)
            .Select(check => $"{check.Name} ({check.Detail})").ToList();
        var waiting = checks.Where(check => check.State == GitHubCheckState.Pending).Select(check => check.Name)
            .Concat(required.Where(name => !checks.Any(check => check.Name.Equals(name, StringComparison.Ordinal))).Select(name => $"{name} (not reported yet)"))
            .ToList();
        var outcome = failing.Count > 0 ? ChecksOutcome.Failed
            : waiting.Count > 0 || checks.Count == 0 ? ChecksOutcome.Pending
            : ChecksOutcome.Passed;
        return new ChecksVerdict(outcome, checks, failing, waiting);
    }
}

public enum MergeOutcome
{
    Merged,
    ChecksFailed,
    TimedOut,
}

/// <summary>How <see cref="GitHubDelivery.MergeWhenChecksPassAsync"/> ended; <see cref="MergeSha"/> is the config commit that deploys.</summary>
public sealed record MergeDecision(MergeOutcome Outcome, string? MergeSha, IReadOnlyList<string> FailingChecks, string Reason)
{
    public bool IsMerged => Outcome == MergeOutcome.Merged;

    /// <summary>Returns the merge commit when merged; otherwise throws <see cref="GitHubDeliveryException"/> naming the failing checks.</summary>
    public string EnsureMerged() =>
        IsMerged && MergeSha is not null ? MergeSha : throw new GitHubDeliveryException($"Promotion not merged: {Reason}");
}
