using Slipway.Edge.Contract;

namespace Slipway.Edge.Routing;

/// <summary>
/// What an environment's port lets through: requests naming an allowed Host (anything else, e.g. a DNS-rebound name,
/// gets 421) and only the service's public paths (its operator and diagnostic paths get 404).
/// </summary>
static class PublicRoutes
{
    /// <summary>The status to refuse the request with, or null when it may be forwarded.</summary>
    public static int? Refusal(EdgeRoute route, HttpRequest request)
    {
        if (!HostAllowed(route.AllowedHosts, request))
            return StatusCodes.Status421MisdirectedRequest;
        var path = request.Path.Value ?? "/";
        return route.DeniedPaths.Any(denied => Matches(denied, path)) ? StatusCodes.Status404NotFound : null;
    }

    /// <summary>Whether the request's Host (without its port) is one of <paramref name="allowedHosts"/>.</summary>
    public static bool HostAllowed(IReadOnlyList<string> allowedHosts, HttpRequest request) =>
        allowedHosts.Any(allowed => string.Equals(Bracketed(allowed), Bracketed(request.Host.Host), StringComparison.OrdinalIgnoreCase));

    /// <summary><c>/x</c> matches that path (with or without a trailing slash); <c>/x/*</c> every path under /x/.</summary>
    public static bool Matches(string pattern, string path)
    {
        if (pattern.EndsWith("/*", StringComparison.Ordinal))
            return path.StartsWith(pattern[..^1], StringComparison.OrdinalIgnoreCase);
        return string.Equals(path.TrimEnd('/'), pattern.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);
    }

    static string Bracketed(string host) => host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;
}
