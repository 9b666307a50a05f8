using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Slipway.Agent.Dashboard;

/// <summary>An operator logged in to the dashboard: the cookie's id and the CSRF token every action must send back.</summary>
public sealed record OperatorSession(string Id, string CsrfToken, DateTimeOffset ExpiresAt);

/// <summary>
/// Dashboard logins: the operator token (AgentOptions.OperatorToken, from .nuke/platform/agent/operator-token) is POSTed once
/// and traded for a session held in memory (an agent restart logs everyone out). The browser keeps the session id in an
/// HttpOnly, SameSite=Strict cookie and the CSRF token in page memory (synchronizer token): an action needs both.
/// </summary>
public sealed class OperatorSessions(AgentOptions options, TimeProvider clock)
{
    public const string CookieName = "slipway_session";
    public const string CsrfHeader = "X-Slipway-CSRF";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);

    readonly ConcurrentDictionary<string, OperatorSession> sessions = new(StringComparer.Ordinal);

    /// <summary>Whether the agent has an operator token at all; without one nobody logs in and the dashboard stays read-only.</summary>
    public bool LoginEnabled => options.OperatorToken is { Length: > 0 };

    /// <summary>A new session when <paramref name="token"/> is the operator token; null otherwise (compared in constant time).</summary>
    public OperatorSession? LogIn(string? token)
    {
        if (!LoginEnabled || !Api.BearerToken.IsToken(options.OperatorToken, token)) return null;
        RemoveExpired();
        var session = new OperatorSession(RandomToken(), RandomToken(), clock.GetUtcNow() + Lifetime);
        sessions[session.Id] = session;
        return session;
    }

    /// <summary>The live session of this cookie value; null when there is none or it expired.</summary>
    public OperatorSession? Find(string? id)
    {
        if (string.IsNullOrEmpty(id) || !sessions.TryGetValue(id, out var session)) return null;
        if (session.ExpiresAt > clock.GetUtcNow()) return session;
        sessions.TryRemove(id, out _);
        return null;
    }

    public void LogOut(string? id)
    {
        if (!string.IsNullOrEmpty(id)) sessions.TryRemove(id, out _);
    }

    /// <summary>
    /// Whether <paramref name="request"/> may act: a live session cookie (else 401) and the session's CSRF token in
    /// <see cref="CsrfHeader"/> (else 403). Returns the session, or the refusal to answer with.
    /// </summary>
    public (OperatorSession? Session, IResult? Refusal) Authorize(HttpRequest request)
    {
        var session = Find(request.Cookies[CookieName]);
        if (session is null)
            return (null, Results.Json(new { error = "log in first: POST the operator token (.nuke/platform/agent/operator-token) to /dashboard/api/login" },
                statusCode: StatusCodes.Status401Unauthorized));
        var sent = Encoding.UTF8.GetBytes(request.Headers[CsrfHeader].ToString());
        if (!CryptographicOperations.FixedTimeEquals(sent, Encoding.UTF8.GetBytes(session.CsrfToken)))
            return (null, Results.Json(new { error = $"missing or wrong {CsrfHeader} header: send the CSRF token the login answered" },
                statusCode: StatusCodes.Status403Forbidden));
        return (session, null);
    }

    /// <summary>The session cookie: HttpOnly and SameSite=Strict. Not Secure: the agent serves plain HTTP on loopback only, where a Secure cookie would never be sent back.</summary>
    public static CookieOptions CookieFor(OperatorSession session) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = false,
        Path = "/",
        Expires = session.ExpiresAt,
        IsEssential = true,
    };

    void RemoveExpired()
    {
        var now = clock.GetUtcNow();
        foreach (var (id, session) in sessions)
            if (session.ExpiresAt <= now) sessions.TryRemove(id, out _);
    }

    static string RandomToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
