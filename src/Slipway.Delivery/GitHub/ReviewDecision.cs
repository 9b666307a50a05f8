namespace Slipway.Delivery.GitHub;

public enum ApprovalOutcome
{
    Pending,
    Approved,
    Rejected,
    TimedOut,
}

/// <summary>
/// Where a promotion pull request stands. Approved: a review approved the current head (or someone merged it);
/// Rejected: a reviewer requested changes (<see cref="Comment"/> is theirs) or the pull request was closed.
/// </summary>
public sealed record ApprovalDecision(ApprovalOutcome Outcome, string? Reviewer, string? Comment, string Reason)
{
    public bool IsApproved => Outcome == ApprovalOutcome.Approved;

    /// <summary>Returns when approved; otherwise throws <see cref="GitHubDeliveryException"/> with the reason.</summary>
    public ApprovalDecision EnsureApproved() =>
        IsApproved ? this : throw new GitHubDeliveryException($"Promotion not approved: {Reason}");
}

/// <summary>Decides approval from a pull request and its reviews, as GitHub's own review rules read them.</summary>
public static class ReviewDecision
{
    /// <summary>
    /// Each reviewer's latest approving, change-requesting or dismissed review counts (comments do not; a dismissal
    /// cancels). The author's own reviews never count. Any outstanding request for changes rejects; otherwise an
    /// approval of the current head approves (an approval of an earlier head is stale: the change moved after it).
    /// </summary>
    public static ApprovalDecision Decide(GitHubPullRequest pullRequest, IReadOnlyList<GitHubReview> reviews)
    {
        switch (pullRequest.State)
        {
            case GitHubPullRequestState.Merged:
                return new ApprovalDecision(ApprovalOutcome.Approved, null, null, $"pull request #{pullRequest.Number} was merged on GitHub");
            case GitHubPullRequestState.Closed:
                return new ApprovalDecision(ApprovalOutcome.Rejected, null, null, $"pull request #{pullRequest.Number} was closed without merging");
        }

        var latest = new Dictionary<string, GitHubReview>(StringComparer.OrdinalIgnoreCase);
        foreach (var review in reviews.OrderBy(review => review.SubmittedAt ?? DateTimeOffset.MaxValue).ThenBy(review => review.Id))
        {
            if (review.Reviewer.Equals(pullRequest.Author, StringComparison.OrdinalIgnoreCase) || review.Reviewer.Length == 0) continue;
            switch (review.State)
            {
                case GitHubReviewState.Approved or GitHubReviewState.ChangesRequested:
                    latest[review.Reviewer] = review;
                    break;
                case GitHubReviewState.Dismissed:
                    latest.Remove(review.Reviewer);
                    break;
            }
        }

        var rejection = latest.Values.Where(review => review.State == GitHubReviewState.ChangesRequested).MaxBy(review => review.SubmittedAt);
        if (rejection is not null)
            return new ApprovalDecision(ApprovalOutcome.Rejected, rejection.Reviewer, rejection.Body,
                $"{rejection.Reviewer} requested changes on pull request #{pullRequest.Number}" +
                (string.IsNullOrWhiteSpace(rejection.Body) ? "" : $": \"{rejection.Body.Trim()}\""));

        var approvals = latest.Values.Where(review => review.State == GitHubReviewState.Approved).ToList();
        var current = approvals.FirstOrDefault(review => review.CommitId is null || review.CommitId.Equals(pullRequest.HeadSha, StringComparison.OrdinalIgnoreCase));
        if (current is not null)
            return new ApprovalDecision(ApprovalOutcome.Approved, current.Reviewer, current.Body,
                $"{current.Reviewer} approved pull request #{pullRequest.Number}");

        return new ApprovalDecision(ApprovalOutcome.Pending, null, null, approvals.Count > 0
            ? $"the approvals of pull request #{pullRequest.Number} ({string.Join(", ", approvals.Select(review => review.Reviewer))}) are for an earlier commit; waiting for a review of {pullRequest.HeadSha[..Math.Min(12, pullRequest.HeadSha.Length)]}"
            : $"no approving review on pull request #{pullRequest.Number} from anyone but its author ({pullRequest.Author})");
    }
}
