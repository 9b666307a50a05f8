using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Slipway.Edge.Routing;

/// <summary>
/// Passive health: one failed forward to a replica (it refused the connection, reset it, or stayed silent past the
/// replica timeout) takes it out at once, for <see cref="ReactivationPeriod"/>; the active readiness probe keeps it
/// out while it stays bad. A failure of the client's side (it went away, it sent a bad body) says nothing of the replica.
/// </summary>
sealed class EjectOnFailurePolicy(IDestinationHealthUpdater health) : IPassiveHealthCheckPolicy
{
    public const string PolicyName = "EjectOnFailure";
    public static readonly TimeSpan ReactivationPeriod = TimeSpan.FromSeconds(5);

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        if (context.Features.Get<IForwarderErrorFeature>() is { } failure && IsReplicaFailure(failure.Error))
            health.SetPassive(cluster, destination, DestinationHealth.Unhealthy, ReactivationPeriod);
    }

    public static bool IsReplicaFailure(ForwarderError error) => error is ForwarderError.Request or ForwarderError.RequestTimedOut
        or ForwarderError.ResponseHeaders or ForwarderError.NoAvailableDestinations;
}
