namespace Slipway.Delivery.Metrics;

/// <summary>Where Metrics reads an environment's deployments from.</summary>
public enum DoraSource
{
    /// <summary>The config repo's history: every deploy and rollback is a commit with Slipway trailers (the default).</summary>
    Git,

    /// <summary>Deployments recorded outside the config repo (GitHub Deployments): read through an <see cref="IDeploymentEventSource"/>.</summary>
    GitHub,
}

/// <summary>An environment's deployment events from somewhere other than the config repo's history (GitHub Deployments, in the build).</summary>
public interface IDeploymentEventSource
{
    Task<DeploymentHistory> ReadAsync(string environment, DoraWindow window, SourceRepository? sourceRepository, Serilog.ILogger log,
                                      CancellationToken cancellationToken);
}
