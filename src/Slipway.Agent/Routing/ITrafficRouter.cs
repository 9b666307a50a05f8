namespace Slipway.Agent.Routing;

/// <summary>
/// What the rollout strategies ask of the router: an environment's destinations (or a stable/canary split) on its
/// port, read back, or removed. <see cref="EdgeClient"/> has the Slipway.Edge process serve them; the fast tests record them.
/// </summary>
public interface ITrafficRouter
{
    /// <summary>Serves <paramref name="environment"/> on <paramref name="port"/> with exactly these destinations.</summary>
    Task SetAsync(string environment, int port, string healthPath, IReadOnlyCollection<RouteDestination> destinations, CancellationToken cancellationToken);

    /// <summary>Serves <paramref name="environment"/> with a stable and a canary destination set split by weight and audience.</summary>
    Task SetSplitAsync(string environment, int port, string healthPath, TrafficSplit split, CancellationToken cancellationToken);

    IReadOnlyCollection<RouteDestination> Destinations(string environment);

    /// <summary>The current split (stable only after <see cref="SetAsync"/>); null when the environment has no router.</summary>
    TrafficSplit? Split(string environment);

    int? Port(string environment);

    Task RemoveAsync(string environment);
}
