namespace Slipway.Agent.Routing;

/// <summary>
/// Starts before the synchronizer: the agent reads what the edge serves before it reconciles anything, so a
/// restarted agent continues from the live routes (and waits for an edge that is not up yet instead of failing).
/// </summary>
public sealed class EdgeTableLoader(EdgeClient edge) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => edge.LoadAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
