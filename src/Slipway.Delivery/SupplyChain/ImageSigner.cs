using Slipway.Delivery.Oci;
using Slipway.Delivery.Registry;

namespace Slipway.Delivery.SupplyChain;

/// <summary>Where the signature and attestations of an image were stored.</summary>
public sealed record SigningResult(ImageReference Image, ImageReference Signatures, ImageReference Attestations, bool AlreadySigned);

/// <summary>
/// Signs an image by digest and attaches attestations the way cosign does (tag-based discovery): the simple-signing
/// payload under <c>sha256-&lt;hex&gt;.sig</c>, in-toto statements in DSSE envelopes under <c>sha256-&lt;hex&gt;.att</c>,
/// in the image's repository. Existing signatures are kept (a key rotation leaves the old one beside the new); a
/// signature this key already made for this payload is not added twice; an attestation replaces the one of the same
/// predicate type (cosign attest --replace).
/// </summary>
public static class ImageSigner
{
    /// <summary>Signs <paramref name="image"/> (repository@sha256:…) and attests its SBOM and provenance with <paramref name="key"/>.</summary>
    public static async Task<SigningResult> SignAndAttestAsync(RegistryClient registry, ImageReference image, AttestationPredicate sbom,
                                                               AttestationPredicate provenance, SigningKey key, CancellationToken ct = default)
    {
        var (signatures, alreadySigned) = await SignAsync(registry, image, key, ct);
        var attestations = await AttestAsync(registry, image, [sbom, provenance], key, ct);
        return new SigningResult(image, signatures, attestations, alreadySigned);
    }

    /// <summary>Adds this key's signature to the image's .sig manifest; returns it by digest and whether the signature was already there.</summary>
    public static async Task<(ImageReference Signatures, bool AlreadySigned)> SignAsync(RegistryClient registry, ImageReference image, SigningKey key,
                                                                                       CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(key);
        var (repository, digest) = CosignFormat.RequireDigest(image);
        if (!await registry.HasManifestAsync(image, ct))
            throw new InvalidOperationException($"the registry does not hold {image}: push the image before signing it.");
        var payload = RegistryBlob.Of(CosignFormat.SimpleSigningMediaType,
            SimpleSigningPayload.For(CosignFormat.RepositoryIdentity(repository), digest).ToBytes());
        var tag = repository.WithTag(CosignFormat.SignatureTag(digest));
        var found = await registry.FindManifestAsync(tag, ct);
        var existing = found is null ? [] : CosignManifest.ParseLayers(found.Content);

        // cosign's duplicate detection: same payload, and a signature that verifies with this key.
        var publicKey = key.PublicKey;
        foreach (var layer in existing.Where(layer => layer.Descriptor.Digest == payload.Descriptor.Digest))
        {
            if (CosignFormat.TryDecodeSignature(layer.Annotation(CosignFormat.SignatureAnnotation)) is { } signature && publicKey.Verify(payload.Content, signature))
                return (repository.WithDigest(found!.Digest), true);
        }

        var signed = new CosignLayer(payload.Descriptor, new Dictionary<string, string>
        {
            [CosignFormat.SignatureAnnotation] = Convert.ToBase64String(key.Sign(payload.Content)),
        });
        var (manifest, config) = CosignManifest.Build([.. existing, signed]);
        return (await registry.PushManifestAsync(repository, tag.Tag!, manifest, OciMediaTypes.ImageManifest, [config, payload], ct), false);
    }

    /// <summary>Attaches each predicate as an in-toto statement about the image in a DSSE envelope signed with <paramref name="key"/>.</summary>
    public static async Task<ImageReference> AttestAsync(RegistryClient registry, ImageReference image, IReadOnlyList<AttestationPredicate> predicates,
                                                         SigningKey key, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(key);
        var (repository, digest) = CosignFormat.RequireDigest(image);
        var tag = repository.WithTag(CosignFormat.AttestationTag(digest));
        var existing = await registry.FindManifestAsync(tag, ct) is { } found ? CosignManifest.ParseLayers(found.Content) : [];
        var replaced = predicates.Select(predicate => predicate.PredicateType).ToHashSet(StringComparer.Ordinal);

        var envelopes = predicates.Select(predicate =>
        {
            var statement = InTotoStatement.About(CosignFormat.RepositoryIdentity(repository), digest, predicate);
            var envelope = RegistryBlob.Of(CosignFormat.DsseEnvelopeMediaType,
                DsseEnvelope.Sign(CosignFormat.InTotoPayloadType, statement.ToBytes(), key).ToBytes());
            // cosign writes an empty signature annotation on attestations: the signature is inside the envelope.
            return (Blob: envelope, Layer: new CosignLayer(envelope.Descriptor, new Dictionary<string, string>
            {
                [CosignFormat.PredicateTypeAnnotation] = predicate.PredicateType,
                [CosignFormat.SignatureAnnotation] = "",
            }));
        }).ToList();
        var kept = existing.Where(layer => layer.Annotation(CosignFormat.PredicateTypeAnnotation) is not { } type || !replaced.Contains(type));
        var (manifest, config) = CosignManifest.Build([.. kept, .. envelopes.Select(envelope => envelope.Layer)]);
        return await registry.PushManifestAsync(repository, tag.Tag!, manifest, OciMediaTypes.ImageManifest,
            [config, .. envelopes.Select(envelope => envelope.Blob)], ct);
    }
}
