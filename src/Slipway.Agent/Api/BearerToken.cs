using System.Security.Cryptography;
using System.Text;

namespace Slipway.Agent.Api;

/// <summary>Checks <c>Authorization: Bearer &lt;token&gt;</c> against a configured token, in constant time.</summary>
public static class BearerToken
{
    /// <summary>False when no token is configured (everything is refused then) or the header does not carry it.</summary>
    public static bool Matches(string? expectedToken, string? authorization)
    {
        if (string.IsNullOrEmpty(expectedToken) || string.IsNullOrEmpty(authorization)) return false;
        const string scheme = "Bearer ";
        if (!authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        return IsToken(expectedToken, authorization[scheme.Length..].Trim());
    }

    /// <summary>Whether <paramref name="presented"/> is <paramref name="expectedToken"/>, compared in constant time; false when either is empty.</summary>
    public static bool IsToken(string? expectedToken, string? presented)
    {
        if (string.IsNullOrEmpty(expectedToken) || string.IsNullOrEmpty(presented)) return false;
        // Hashing first gives equal lengths, so the comparison's time says nothing about the token's length either.
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expectedToken)));
    }

    /// <summary>An endpoint filter: the route answers 401 unless the request carries the agent's operator token.</summary>
    public static TBuilder RequireOperatorToken<TBuilder>(this TBuilder endpoint, AgentOptions options) where TBuilder : IEndpointConventionBuilder =>
        endpoint.AddEndpointFilter(async (context, next) =>
        {
            if (Matches(options.OperatorToken, context.HttpContext.Request.Headers.Authorization.ToString()))
                return await next(context);
            return Results.Text(string.IsNullOrEmpty(options.OperatorToken)
                    ? "this agent has no operator token (SLIPWAY_AGENT_OPERATOR_TOKEN), so it changes nothing on request"
                    : "a valid 'Authorization: Bearer <operator token>' is required (.nuke/platform/agent/operator-token)",
                statusCode: StatusCodes.Status401Unauthorized);
        });
}
