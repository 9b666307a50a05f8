using System.Collections.Frozen;

namespace Slipway.Agent.Dashboard;

/// <summary>
/// The page's files, embedded in the agent's assembly (Dashboard/Assets): nothing is fetched from a CDN or installed at
/// run time, so the dashboard works offline. Only these names are served.
/// </summary>
public static class DashboardAssets
{
    static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["dashboard.css"] = "text/css; charset=utf-8",
        ["dashboard.js"] = "text/javascript; charset=utf-8",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static IResult Serve(string file)
    {
        if (!ContentTypes.TryGetValue(file, out var contentType)) return Results.NotFound();
        var stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream($"Dashboard/{file}")
                     ?? throw new InvalidOperationException($"the agent assembly lacks its embedded Dashboard/{file}; rebuild Slipway.Agent");
        return Results.Stream(stream, contentType);
    }

    /// <summary>The page runs only its own script and style and is never framed; nothing leaves the agent's origin.</summary>
    public static void AddSecurityHeaders(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.CacheControl = "no-store";
    }
}
