namespace Slipway.Edge.Contract;

/// <summary>A replica the edge may send an environment's traffic to.</summary>
public sealed record EdgeDestination(string Id, string Address);

/// <summary>Flagger-style A/B: a request whose header (or cookie) equals <see cref="Value"/> always goes to the canary.</summary>
public sealed record EdgeAudience(string? Header, string? Cookie, string Value);

/// <summary>
/// One environment on the edge: its 127.0.0.1 port, the replicas split between stable and canary by weight and
/// audience, the readiness path the edge polls on each replica, and which of the service's paths stay private.
/// </summary>
/// <param name="DeniedPaths">Paths never forwarded (404): <c>/x</c> is that path, <c>/x/*</c> everything under it.</param>
/// <param name="AllowedHosts">Host names (without the port) a request may name; any other gets 421.</param>
public sealed record EdgeRoute(
    string Environment,
    int Port,
    string HealthPath,
    IReadOnlyList<EdgeDestination> Stable,
    IReadOnlyList<EdgeDestination> Canary,
    int CanaryWeight,
    EdgeAudience? Audience,
    IReadOnlyList<string> DeniedPaths,
    IReadOnlyList<string> AllowedHosts)
{
    /// <summary>The service's operator and diagnostic routes: readiness switches, fault injection, metrics (issue #13).</summary>
    public static readonly IReadOnlyList<string> DefaultDeniedPaths = ["/readyz/*", "/fault", "/fault/*", "/metrics", "/metrics/*"];

    /// <summary>Loopback names only: a foreign name (DNS rebinding) is refused.</summary>
    public static readonly IReadOnlyList<string> DefaultAllowedHosts = ["127.0.0.1", "localhost", "[::1]"];

    /// <summary>The reason this route cannot be served, or null when it can.</summary>
    public string? Problem() =>
        string.IsNullOrWhiteSpace(Environment) ? "the route names no environment"
        : Stable is null || Canary is null || DeniedPaths is null || AllowedHosts is null || HealthPath is null
            ? "the route lacks one of healthPath, stable, canary, deniedPaths, allowedHosts"
        : Port is <= 0 or > 65535 ? $"port {Port} is not a TCP port"
        : CanaryWeight is < 0 or > 100 ? $"canary weight {CanaryWeight} is not a percentage (0-100)"
        : !HealthPath.StartsWith('/') ? $"health path '{HealthPath}' does not start with '/'"
        : Stable.Concat(Canary).FirstOrDefault(d => !Uri.TryCreate(d.Address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) is { } bad
            ? $"destination '{bad.Id}' has no absolute http(s) address ('{bad.Address}')"
        : DeniedPaths.FirstOrDefault(p => !p.StartsWith('/')) is { } path ? $"denied path '{path}' does not start with '/'"
        : null;
}

/// <summary>Everything the edge serves; what GET /routes answers and what the edge keeps on disk.</summary>
public sealed record EdgeRouteTable(IReadOnlyList<EdgeRoute> Routes);

/// <summary>The admin API's paths (served on a unix socket only the platform's user can open).</summary>
public static class EdgeAdminApi
{
    public const string Health = "/healthz";
    public const string Routes = "/routes";
    public static string Route(string environment) => $"/routes/{Uri.EscapeDataString(environment)}";

    /// <summary>An HTTP client whose every connection goes to <paramref name="socket"/> (admin.sock, or one copy's own socket).</summary>
    public static HttpClient CreateClient(string socket, TimeSpan timeout) =>
        new(Loopback.UnixSocketHttp.Handler(socket)) { BaseAddress = new Uri("http://edge"), Timeout = timeout };
}
