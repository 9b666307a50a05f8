namespace Slipway.Delivery.GitHub;

// Slipway's own view of the GitHub objects it uses: small, immutable, free of Octokit types so callers and tests
// depend on IGitHubClient alone.

public sealed record GitHubNewPullRequest(string Title, string HeadBranch, string BaseBranch, string Body);

public enum GitHubPullRequestState
{
    Open,
    Closed,
    Merged,
}

public sealed record GitHubPullRequest(
    int Number,
    string Title,
    string HtmlUrl,
    string HeadBranch,
    string HeadSha,
    string BaseBranch,
    string Author,
    GitHubPullRequestState State,
    string? MergeCommitSha);

public enum GitHubReviewState
{
    Approved,
    ChangesRequested,
    Commented,
    Dismissed,
    Pending,
}

public sealed record GitHubReview(long Id, string Reviewer, GitHubReviewState State, string Body, string? CommitId, DateTimeOffset? SubmittedAt);

public enum GitHubCheckKind
{
    /// <summary>A commit status (statuses API), named by its context.</summary>
    Status,

    /// <summary>A check run (checks API, e.g. GitHub Actions), named by its name.</summary>
    CheckRun,
}

public enum GitHubCheckState
{
    Pending,
    Success,
    Failure,
}

/// <summary>One status or check run on a commit, reduced to pending / success / failure; Detail says why (description or conclusion).</summary>
public sealed record GitHubCheck(string Name, GitHubCheckKind Kind, GitHubCheckState State, string Detail, string? Url);

public sealed record GitHubMergeRequest(int Number, string HeadSha, GitHubMergeMethod Method, string CommitTitle, string? CommitMessage);

public sealed record GitHubMergeResult(bool Merged, string Sha, string Message);

/// <summary>GitHub's deployment states (the statuses API's vocabulary).</summary>
public enum GitHubDeploymentState
{
    Queued,
    Pending,
    InProgress,
    Success,
    Failure,
    Error,
    Inactive,
}

/// <summary>A deployment to create. Payload values are strings (Octokit's model); Slipway puts the digest and source there.</summary>
public sealed record GitHubNewDeployment(
    string Ref,
    string Environment,
    string Description,
    IReadOnlyDictionary<string, string> Payload,
    bool ProductionEnvironment);

public sealed record GitHubNewDeploymentStatus(GitHubDeploymentState State, string Description, Uri? EnvironmentUrl, Uri? LogUrl);

public sealed record GitHubDeployment(
    long Id,
    string Sha,
    string Ref,
    string Environment,
    string? Creator,
    IReadOnlyDictionary<string, string> Payload,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public sealed record GitHubDeploymentStatus(
    long Id,
    GitHubDeploymentState State,
    string Description,
    string? EnvironmentUrl,
    string? LogUrl,
    DateTimeOffset CreatedAt);

public enum GitHubCommitState
{
    Pending,
    Success,
    Failure,
    Error,
}

public sealed record GitHubNewCommitStatus(GitHubCommitState State, string Context, string Description, Uri? TargetUrl);
