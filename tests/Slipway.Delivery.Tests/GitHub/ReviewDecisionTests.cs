using Slipway.Delivery.GitHub;

namespace Slipway.Delivery.Tests.GitHub;

public sealed class ReviewDecisionTests
{
    private const string Head = "1111111111111111111111111111111111111111";
    private const string Earlier = "0000000000000000000000000000000000000000";
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-28T10:00:00Z");

    private static GitHubPullRequest PullRequest(GitHubPullRequestState state = GitHubPullRequestState.Open) =>
        new(3, "Promote", "https://github.com/acme/config/pull/3", "slipway/promote-production-abc", Head, "main", "slipway-bot", state, null);

    private static GitHubReview Review(long id, string reviewer, GitHubReviewState state, int minute, string commit = Head, string body = "") =>
        new(id, reviewer, state, body, commit, T0.AddMinutes(minute));

    [Fact]
    public void No_review_is_pending() =>
        Assert.Equal(ApprovalOutcome.Pending, ReviewDecision.Decide(PullRequest(), []).Outcome);

    [Fact]
    public void The_author_s_own_approval_does_not_count()
    {
        var decision = ReviewDecision.Decide(PullRequest(), [Review(1, "slipway-bot", GitHubReviewState.Approved, 0)]);

        Assert.Equal(ApprovalOutcome.Pending, decision.Outcome);
        Assert.Contains("from anyone but its author (slipway-bot)", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reviewer_s_latest_review_counts()
    {
        var decision = ReviewDecision.Decide(PullRequest(),
        [
            Review(2, "alice", GitHubReviewState.Approved, 5),
            Review(1, "alice", GitHubReviewState.ChangesRequested, 0, body: "needs a canary first"),
            Review(3, "alice", GitHubReviewState.Commented, 6, body: "just a note"),
        ]);

        Assert.Equal(ApprovalOutcome.Approved, decision.Outcome);
        Assert.Equal("alice", decision.Reviewer);
    }

    [Fact]
    public void An_outstanding_request_for_changes_outweighs_another_approval()
    {
        var decision = ReviewDecision.Decide(PullRequest(),
        [
            Review(1, "alice", GitHubReviewState.Approved, 0),
            Review(2, "bob", GitHubReviewState.ChangesRequested, 1, body: "not during the freeze"),
        ]);

        Assert.Equal(ApprovalOutcome.Rejected, decision.Outcome);
        Assert.Equal(("bob", "not during the freeze"), (decision.Reviewer, decision.Comment));
    }

    [Fact]
    public void A_dismissed_request_for_changes_no_longer_blocks()
    {
        var decision = ReviewDecision.Decide(PullRequest(),
        [
            Review(1, "bob", GitHubReviewState.ChangesRequested, 0),
            Review(2, "bob", GitHubReviewState.Dismissed, 1),
            Review(3, "alice", GitHubReviewState.Approved, 2),
        ]);

        Assert.Equal(ApprovalOutcome.Approved, decision.Outcome);
    }

    [Fact]
    public void An_approval_of_an_earlier_head_is_stale()
    {
        var decision = ReviewDecision.Decide(PullRequest(), [Review(1, "alice", GitHubReviewState.Approved, 0, commit: Earlier)]);

        Assert.Equal(ApprovalOutcome.Pending, decision.Outcome);
        Assert.Contains("for an earlier commit", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Closed_rejects_and_merged_approves()
    {
        Assert.Equal(ApprovalOutcome.Rejected, ReviewDecision.Decide(PullRequest(GitHubPullRequestState.Closed), []).Outcome);
        Assert.Equal(ApprovalOutcome.Approved, ReviewDecision.Decide(PullRequest(GitHubPullRequestState.Merged), []).Outcome);
    }
}

public sealed class ChecksVerdictTests
{
    private static GitHubCheck Check(string name, GitHubCheckState state, GitHubCheckKind kind = GitHubCheckKind.CheckRun) =>
        new(name, kind, state, state.ToString().ToLowerInvariant(), null);

    [Fact]
    public void All_green_passes() =>
        Assert.Equal(ChecksOutcome.Passed, ChecksVerdict.Evaluate(
            [Check("build", GitHubCheckState.Success), Check("ci/lint", GitHubCheckState.Success, GitHubCheckKind.Status)], []).Outcome);

    [Fact]
    public void One_red_fails_even_while_others_run()
    {
        var verdict = ChecksVerdict.Evaluate([Check("build", GitHubCheckState.Pending), Check("policy", GitHubCheckState.Failure)], []);

        Assert.Equal(ChecksOutcome.Failed, verdict.Outcome);
        Assert.Equal(["policy (failure)"], verdict.Failing);
    }

    [Fact]
    public void A_running_check_or_a_missing_required_one_is_pending()
    {
        Assert.Equal(ChecksOutcome.Pending, ChecksVerdict.Evaluate([Check("build", GitHubCheckState.Pending)], []).Outcome);
        var verdict = ChecksVerdict.Evaluate([Check("build", GitHubCheckState.Success)], ["e2e"]);
        Assert.Equal(ChecksOutcome.Pending, verdict.Outcome);
        Assert.Equal(["e2e (not reported yet)"], verdict.Waiting);
    }

    [Fact]
    public void No_check_at_all_is_pending_for_the_caller_to_decide() =>
        Assert.Equal(ChecksOutcome.Pending, ChecksVerdict.Evaluate([], []).Outcome);
}
