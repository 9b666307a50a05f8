using System.Security.Cryptography;
using System.Text;

namespace Beacon.Health;

/// <summary>
/// The bearer token of Beacon's operator endpoints (POST /readyz/disable, /readyz/enable), read once at start from the
/// file Operator:TokenFile names (a mounted secret; never a command-line argument or a config-repo value). Without it
/// the operator endpoints refuse everything: nobody, and no web page, can take a replica out of rotation.
/// </summary>
public sealed class OperatorToken
{
    public const string FileKey = "Operator:TokenFile";
    readonly byte[]? _hash;

    OperatorToken(string? token) => _hash = token is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public bool Configured => _hash is not null;

    /// <summary>Reads the token file; a named file that is missing or empty fails the start with a message naming it.</summary>
    public static OperatorToken Read(IConfiguration configuration)
    {
        if (configuration[FileKey] is not { Length: > 0 } path) return new OperatorToken(null);
        string token;
        try
        {
            token = File.ReadAllText(path).Trim();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"{FileKey} names '{path}', which cannot be read ({exception.Message}); mount the operator token there or unset {FileKey} (environment variable Operator__TokenFile).");
        }
        if (token.Length == 0) throw new FormatException($"{FileKey} names '{path}', which is empty; write the operator token into it.");
        return new OperatorToken(token);
    }

    /// <summary>Constant-time check of <c>Authorization: Bearer &lt;token&gt;</c>.</summary>
    public bool Admits(string? authorization)
    {
        const string scheme = "Bearer ";
        if (_hash is null || authorization is null || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        return CryptographicOperations.FixedTimeEquals(_hash, SHA256.HashData(Encoding.UTF8.GetBytes(authorization[scheme.Length..].Trim())));
    }
}
