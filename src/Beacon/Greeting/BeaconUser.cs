namespace Beacon.Greeting;

/// <summary>
/// The stable key that variant allocation and targeting hash: the X-User-Id header, else the beacon-user
/// cookie. A caller with neither gets a new id in the cookie, so a browser keeps its variant.
/// </summary>
public static class BeaconUser
{
    public const string Header = "X-User-Id";
    public const string Cookie = "beacon-user";

    static readonly object ItemKey = new();

    /// <summary>The caller's id, or null when the request carries none.</summary>
    public static string? Find(HttpContext context)
    {
        var header = context.Request.Headers[Header].ToString();
        if (!string.IsNullOrWhiteSpace(header))
            return header.Trim();
        if (context.Request.Cookies.TryGetValue(Cookie, out var cookie) && !string.IsNullOrWhiteSpace(cookie))
            return cookie.Trim();
        return context.Items.TryGetValue(ItemKey, out var assigned) ? (string?)assigned : null;
    }

    /// <summary>The caller's id; one is assigned (and set as the cookie) when the request carries none.</summary>
    public static string Ensure(HttpContext context)
    {
        if (Find(context) is { } known)
            return known;
        var assigned = Guid.NewGuid().ToString("n");
        context.Items[ItemKey] = assigned;
        context.Response.Cookies.Append(Cookie, assigned, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            MaxAge = TimeSpan.FromDays(365),
            Path = "/",
        });
        return assigned;
    }
}
