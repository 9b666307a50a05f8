namespace Slipway.Delivery.GitHub;

/// <summary>
/// The GitHub REST operations Slipway's pipeline needs, and nothing more: pull requests and their reviews, checks and
/// merge; deployments and deployment statuses; commit statuses. <see cref="OctokitGitHubClient"/> is the real one.
/// Every failure is a <see cref="GitHubApiException"/> naming the operation and GitHub's answer.
/// </summary>
public interface IGitHubClient
{
    /// <summary>POST /repos/{owner}/{repo}/pulls.</summary>
    Task<GitHubPullRequest> CreatePullRequestAsync(GitHubRepository repository, GitHubNewPullRequest request, CancellationToken cancellationToken = default);

    /// <summary>GET /repos/{owner}/{repo}/pulls?state=open&amp;head=owner:branch — the open pull request of a branch, or null.</summary>
    Task<GitHubPullRequest?> FindOpenPullRequestAsync(GitHubRepository repository, string headBranch, CancellationToken cancellationToken = default);

    /// <summary>PATCH /repos/{owner}/{repo}/pulls/{number} (title and body).</summary>
    Task<GitHubPullRequest> UpdatePullRequestAsync(GitHubRepository repository, int number, string title, string body, CancellationToken cancellationToken = default);

    /// <summary>GET /repos/{owner}/{repo}/pulls/{number}.</summary>
    Task<GitHubPullRequest> GetPullRequestAsync(GitHubRepository repository, int number, CancellationToken cancellationToken = default);

    /// <summary>GET /repos/{owner}/{repo}/pulls/{number}/reviews, oldest first.</summary>
    Task<IReadOnlyList<GitHubReview>> GetReviewsAsync(GitHubRepository repository, int number, CancellationToken cancellationToken = default);

    /// <summary>GET /repos/{owner}/{repo}/commits/{ref}/status and /commits/{ref}/check-runs, as one list of checks.</summary>
    Task<IReadOnlyList<GitHubCheck>> GetChecksAsync(GitHubRepository repository, string reference, CancellationToken cancellationToken = default);

    /// <summary>PUT /repos/{owner}/{repo}/pulls/{number}/merge, pinned to the head commit that was checked.</summary>
    Task<GitHubMergeResult> MergePullRequestAsync(GitHubRepository repository, GitHubMergeRequest request, CancellationToken cancellationToken = default);

    /// <summary>DELETE /repos/{owner}/{repo}/git/refs/heads/{branch}.</summary>
    Task DeleteBranchAsync(GitHubRepository repository, string branch, CancellationToken cancellationToken = default);

    /// <summary>POST /repos/{owner}/{repo}/deployments; returns the deployment id.</summary>
    Task<long> CreateDeploymentAsync(GitHubRepository repository, GitHubNewDeployment deployment, CancellationToken cancellationToken = default);

    /// <summary>POST /repos/{owner}/{repo}/deployments/{id}/statuses.</summary>
    Task CreateDeploymentStatusAsync(GitHubRepository repository, long deploymentId, GitHubNewDeploymentStatus status, CancellationToken cancellationToken = default);

    /// <summary>GET /repos/{owner}/{repo}/deployments?environment=…, newest first, at most <paramref name="maxCount"/>.</summary>
    Task<IReadOnlyList<GitHubDeployment>> GetDeploymentsAsync(GitHubRepository repository, string environment, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>GET /repos/{owner}/{repo}/deployments/{id}/statuses, newest first.</summary>
    Task<IReadOnlyList<GitHubDeploymentStatus>> GetDeploymentStatusesAsync(GitHubRepository repository, long deploymentId, CancellationToken cancellationToken = default);

    /// <summary>POST /repos/{owner}/{repo}/statuses/{sha}.</summary>
    Task CreateCommitStatusAsync(GitHubRepository repository, string sha, GitHubNewCommitStatus status, CancellationToken cancellationToken = default);
}
