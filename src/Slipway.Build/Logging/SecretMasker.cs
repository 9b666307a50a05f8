namespace Slipway.Build;

/// <summary>Replaces every occurrence of a secret value with ***, also inside longer strings.</summary>
internal sealed class SecretMasker
{
    public const string Mask = "***";

    // Longest first, so a secret containing another is masked whole.
    private readonly string[] _secrets;

    public SecretMasker(IEnumerable<string> secrets) =>
        _secrets = secrets.Where(s => !string.IsNullOrEmpty(s)).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length).ToArray();

    public static SecretMasker None { get; } = new([]);

    public string Apply(string text)
    {
        foreach (var secret in _secrets)
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }
        return text;
    }
}
