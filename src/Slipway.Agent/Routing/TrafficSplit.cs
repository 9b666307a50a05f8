namespace Slipway.Agent.Routing;

/// <summary>A backend replica the router may send traffic to.</summary>
public sealed record RouteDestination(string Id, Uri Address);

/// <summary>
/// Two destination sets of one environment: <see cref="CanaryWeight"/> percent of requests go to <see cref="Canary"/>,
/// the rest to <see cref="Stable"/>; a request matching <see cref="Audience"/> always goes to the canary (A/B).
/// </summary>
public sealed record TrafficSplit(IReadOnlyCollection<RouteDestination> Stable, IReadOnlyCollection<RouteDestination> Canary, int CanaryWeight, AudienceMatch? Audience = null)
{
    public static TrafficSplit StableOnly(IReadOnlyCollection<RouteDestination> stable) => new(stable, [], 0);
}

/// <summary>Flagger-style A/B: a request whose header (or cookie) equals <see cref="Value"/> is in the audience.</summary>
public sealed record AudienceMatch(string? Header, string? Cookie, string Value);
