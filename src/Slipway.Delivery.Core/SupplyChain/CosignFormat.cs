using Slipway.Delivery.Oci;

namespace Slipway.Delivery.SupplyChain;

/// <summary>
/// The names cosign uses to store signatures and attestations beside an image (tag-based discovery, cosign's
/// specs/SIGNATURE_SPEC.md and specs/ATTESTATION_SPEC.md): media types, annotation keys, tags and the repository identity.
/// </summary>
public static class CosignFormat
{
    public const string SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json";
    public const string DsseEnvelopeMediaType = "application/vnd.dsse.envelope.v1+json";
    public const string SignatureAnnotation = "dev.cosignproject.cosign/signature";
    public const string PredicateTypeAnnotation = "predicateType";
    public const string SignatureType = "cosign container image signature";
    public const string InTotoPayloadType = "application/vnd.in-toto+json";

    /// <summary>The tag holding an image's signatures: <c>sha256-&lt;hex&gt;.sig</c>.</summary>
    public static string SignatureTag(string digest) => $"sha256-{Sha256Digest.Hex(digest)}.sig";

    /// <summary>The tag holding an image's attestations: <c>sha256-&lt;hex&gt;.att</c>.</summary>
    public static string AttestationTag(string digest) => $"sha256-{Sha256Digest.Hex(digest)}.att";

    /// <summary>
    /// The repository as cosign names it in payloads and statement subjects (go-containerregistry's Repository.Name()):
    /// <c>registry/repository</c>, with Docker Hub spelled index.docker.io as go-containerregistry does.
    /// </summary>
    public static string RepositoryIdentity(ImageReference image) =>
        (image.Registry == ImageReference.DefaultRegistry ? "index.docker.io" : image.Registry) + "/" + image.Repository;

    /// <summary>The image by digest; a clear error for a reference by tag only (signing a tag signs whatever it points to later).</summary>
    public static (ImageReference Repository, string Digest) RequireDigest(ImageReference image) =>
        image.Digest is { } digest
            ? (image.WithoutTagOrDigest(), digest)
            : throw new ArgumentException($"{image} names no digest: sign and verify images by digest (repository@sha256:…).", nameof(image));

    /// <summary>The bytes of a base64 signature annotation; null when it is absent or not base64.</summary>
    public static byte[]? TryDecodeSignature(string? base64)
    {
        if (string.IsNullOrEmpty(base64)) return null;
        try
        {
            return Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
