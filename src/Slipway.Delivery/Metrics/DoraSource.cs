using Slipway.Delivery.GitHub;

namespace Slipway.Delivery.Metrics;

/// <summary>Where Metrics reads an environment's deployments from.</summary>
public enum DoraSource
{
    /// <summary>The config repo's history: every deploy and rollback is a commit with Slipway trailers (the default).</summary>
    Git,

    /// <summary>GitHub Deployments of the environment in the config repo on GitHub (<see cref="GitHubDeploymentHistoryReader"/>).</summary>
    GitHub,
}

/// <summary>The GitHub side of <see cref="DoraSource.GitHub"/>: a client, the repository holding the deployments, and how many to list.</summary>
public sealed record GitHubDeploymentSource(
    IGitHubClient Client,
    GitHubRepository Repository,
    int MaxDeployments = GitHubDeploymentHistoryReader.DefaultMaxDeployments);
