using System.Text.RegularExpressions;

namespace Slipway.Delivery.ContainerTesting;

/// <summary>What counts as a secret-looking environment variable or file in an image.</summary>
public static partial class SecretPatterns
{
    /// <summary>True when the variable's name or value looks like a credential (only the name is ever reported).</summary>
    public static bool IsSecretLookingVariable(string name, string value) =>
        SecretName().IsMatch(name) || name.StartsWith("AWS_", StringComparison.OrdinalIgnoreCase) || LooksLikePrivateKey(value);

    public static bool LooksLikePrivateKey(string text) => PrivateKey().IsMatch(text);

    /// <summary>True when a file is a credential by its name alone (keys, .env, tokens of package managers and Git).</summary>
    public static bool IsSecretFileName(string path)
    {
        var name = Path.GetFileName(path.TrimEnd('/'));
        return SecretFileNames.Contains(name) || name.StartsWith(".env.", StringComparison.Ordinal) ||
               path.EndsWith(".aws/credentials", StringComparison.Ordinal) || path.EndsWith(".docker/config.json", StringComparison.Ordinal) ||
               path.EndsWith(".ssh/authorized_keys", StringComparison.Ordinal);
    }

    /// <summary>Files whose content is read to look for a private key (certificates and key files).</summary>
    public static bool IsKeyMaterialCandidate(string path) =>
        path.EndsWith(".pem", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".key", StringComparison.OrdinalIgnoreCase);

    private static readonly HashSet<string> SecretFileNames = new(StringComparer.Ordinal)
    {
        "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", ".env", ".npmrc", ".pypirc", ".netrc", ".git-credentials", ".pgpass", "secrets.json",
    };

    [GeneratedRegex("PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|CONNECTIONSTRING", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();

    [GeneratedRegex("-----BEGIN ([A-Z]+ )?PRIVATE KEY-----")]
    private static partial Regex PrivateKey();
}
