namespace Slipway.Delivery.GitHub;

/// <summary>
/// A deployment as GitHub recorded it, in neutral terms Metrics can use beside the config repo's history.
/// </summary>
/// <param name="Sha">The commit GitHub resolved the deployment's ref to (Slipway deploys config-repo commits).</param>
/// <param name="Image">The digest reference from the payload (Slipway deployments), else null.</param>
/// <param name="SourceCommit">The source commit from the payload, else null.</param>
/// <param name="FinalState">The newest status; Pending when none was posted. A later deploy makes a successful one Inactive.</param>
/// <param name="Succeeded">True when any status was success (it stays true after GitHub marks the deployment inactive).</param>
/// <param name="DeployedAt">When the first success status was posted: the moment the change was live.</param>
public sealed record GitHubDeploymentRecord(
    long Id,
    string Environment,
    string Sha,
    string Ref,
    string? Image,
    string? SourceCommit,
    DateTimeOffset? SourceTime,
    GitHubDeploymentState FinalState,
    bool Succeeded,
    DateTimeOffset? DeployedAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? EnvironmentUrl);

/// <summary>A deployment Slipway created and keeps reporting on.</summary>
public sealed record GitHubDeploymentHandle(long Id, string Environment, string Ref, Uri? EnvironmentUrl, Uri? LogUrl);

/// <summary>What one deploy is: the config commit that changed the environment, its trailers, and where to look.</summary>
/// <param name="ConfigCommit">The config-repo commit the agent applies (the deployment's ref; it exists in the config repo).</param>
/// <param name="EnvironmentUrl">Where the environment serves (shown on GitHub's environments page).</param>
/// <param name="LogUrl">The pipeline run's log (e.g. the CI job URL).</param>
public sealed record DeploymentNotice(
    string ConfigCommit,
    Slipway.Delivery.ConfigRepo.DeploymentTrailers Trailers,
    Uri? EnvironmentUrl = null,
    Uri? LogUrl = null);

/// <summary>A promotion pull request Slipway opened (or found open from an earlier run).</summary>
public sealed record PromotionPullRequest(
    int Number,
    string HtmlUrl,
    string Branch,
    string BaseBranch,
    string Title,
    string Author,
    string HeadSha,
    Slipway.Delivery.ConfigRepo.DeploymentTrailers Trailers)
{
    public string Environment => Trailers.Environment;
}
