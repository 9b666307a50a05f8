using System.Security.Cryptography;
using System.Text;

namespace Slipway.Delivery.AgentApi;

/// <summary>GitHub's webhook signature: <c>X-Hub-Signature-256: sha256=&lt;lowercase hex HMAC-SHA256 of the raw body&gt;</c>.</summary>
public static class WebhookSignature
{
    public const string HeaderName = "X-Hub-Signature-256";
    const string Prefix = "sha256=";

    public static string Compute(string secret, ReadOnlySpan<byte> body) =>
        Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>Constant-time check of a header value against the body; false for a missing or malformed header.</summary>
    public static bool IsValid(string secret, ReadOnlySpan<byte> body, string? headerValue)
    {
        if (string.IsNullOrEmpty(secret) || headerValue is null || !headerValue.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body);
        byte[] given;
        try
        {
            given = Convert.FromHexString(headerValue.AsSpan(Prefix.Length));
        }
        catch (FormatException)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
