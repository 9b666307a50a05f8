using Slipway.Edge.Contract;
using Yarp.ReverseProxy.Model;

namespace Slipway.Edge.Routing;

/// <summary>Narrows each request's available destinations to the set the split chooses for it (weight, then audience).</summary>
sealed class TrafficSelector
{
    sealed record Choice(EdgeRoute Route, IReadOnlySet<string> CanaryIds);

    volatile Choice? choice;

    public EdgeRoute? Route => choice?.Route;

    public void Set(EdgeRoute route) =>
        choice = new Choice(route, route.Canary.Select(d => d.Id).ToHashSet(StringComparer.Ordinal));

    public void Select(HttpContext context)
    {
        var current = choice;
        if (current is null || current.CanaryIds.Count == 0) return;
        var toCanary = InAudience(current.Route.Audience, context.Request)
                       || (current.Route.CanaryWeight > 0 && Random.Shared.Next(100) < current.Route.CanaryWeight);
        var feature = context.GetReverseProxyFeature();
        var chosen = feature.AvailableDestinations.Where(d => current.CanaryIds.Contains(d.DestinationId) == toCanary).ToList();
        // The chosen set has no healthy replica: the other set answers rather than the request failing.
        if (chosen.Count > 0) feature.AvailableDestinations = chosen;
    }

    static bool InAudience(EdgeAudience? audience, HttpRequest request) =>
        audience is not null && (audience.Header is not null
            ? request.Headers.TryGetValue(audience.Header, out var values) && values.Contains(audience.Value, StringComparer.Ordinal)
            : audience.Cookie is not null && request.Cookies.TryGetValue(audience.Cookie, out var cookie) && string.Equals(cookie, audience.Value, StringComparison.Ordinal));
}
