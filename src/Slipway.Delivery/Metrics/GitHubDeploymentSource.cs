using Slipway.Delivery.GitHub;

namespace Slipway.Delivery.Metrics;

/// <summary>The GitHub side of <see cref="DoraSource.GitHub"/>: a client, the repository holding the deployments, and how many to list.</summary>
public sealed record GitHubDeploymentSource(
    IGitHubClient Client,
    GitHubRepository Repository,
    int MaxDeployments = GitHubDeploymentHistoryReader.DefaultMaxDeployments) : IDeploymentEventSource
{
    public Task<DeploymentHistory> ReadAsync(string environment, DoraWindow window, SourceRepository? sourceRepository, Serilog.ILogger log,
                                             CancellationToken cancellationToken) =>
        new GitHubDeploymentHistoryReader(Client, Repository, sourceRepository, log).ReadAsync(environment, window, MaxDeployments, cancellationToken);
}
