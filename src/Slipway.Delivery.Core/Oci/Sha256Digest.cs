using System.Security.Cryptography;

namespace Slipway.Delivery.Oci;

/// <summary>Content digests in the OCI form <c>sha256:&lt;64 hex&gt;</c>.</summary>
public static class Sha256Digest
{
    public const string Prefix = "sha256:";

    public static string Of(ReadOnlySpan<byte> content) => Prefix + Convert.ToHexStringLower(SHA256.HashData(content));

    public static async Task<string> OfFileAsync(string path, CancellationToken cancellationToken = default)
    {
        await using var stream = File.OpenRead(path);
        return Prefix + Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }

    public static async Task<string> OfStreamAsync(Stream stream, CancellationToken cancellationToken = default) =>
        Prefix + Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));

    /// <summary>The hex part of a sha256 digest; a clear error for anything else.</summary>
    public static string Hex(string digest)
    {
        if (!ImageReference.DigestPattern().IsMatch(digest))
            throw new FormatException($"'{digest}' is not a sha256 digest: expected sha256: followed by 64 lowercase hex digits.");
        return digest[Prefix.Length..];
    }
}
