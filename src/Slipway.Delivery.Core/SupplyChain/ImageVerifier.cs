using Slipway.Delivery.Oci;
using Slipway.Delivery.Registry;

namespace Slipway.Delivery.SupplyChain;

/// <summary>
/// Verifies what <see cref="ImageSigner"/> (or <c>cosign sign/attest --key</c>) stored for an image, as <c>cosign verify</c>
/// and <c>cosign verify-attestation</c> do with a key and no transparency log: a signature layer of the .sig manifest
/// verifies with the public key over its payload, and the payload names this digest, the cosign type and this repository;
/// every required predicate type has an attestation whose DSSE signature verifies and whose subject is this digest.
/// Registry failures are thrown, never turned into a verdict.
/// </summary>
public static class ImageVerifier
{
    /// <summary>What the signer attaches, and so what a gate requires by default: the CycloneDX SBOM and the SLSA provenance.</summary>
    public static readonly IReadOnlyList<string> DefaultRequiredPredicateTypes = [CycloneDxSbom.PredicateType, SlsaProvenance.PredicateType];

    /// <summary>The trusted keys: the <c>*.pub</c> files of the config repo's keys/ folder, in name order.</summary>
    public static IReadOnlyList<string> TrustedKeys(IReadOnlyDictionary<string, string> keysFolder) =>
        [.. keysFolder.Where(file => file.Key.EndsWith(".pub", StringComparison.Ordinal)).OrderBy(file => file.Key, StringComparer.Ordinal).Select(file => file.Value)];

    /// <summary>
    /// Verifies against every trusted key (the config repo's keys/, where a rotation keeps the old key beside the new one):
    /// Verified as soon as one key verifies; otherwise the verdict of the last key tried. No key at all is Invalid.
    /// </summary>
    public static async Task<ImageVerdict> VerifyWithAnyKeyAsync(RegistryClient registry, ImageReference image, IReadOnlyList<string> publicKeyPems,
                                                                 VerificationMode mode, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(publicKeyPems);
        if (publicKeyPems.Count == 0)
            return new ImageVerdict.Invalid(image, mode, "no trusted public key: the config repo's keys/ folder holds no *.pub file");
        ImageVerdict? last = null;
        foreach (var pem in publicKeyPems)
        {
            last = await VerifyAsync(registry, image, pem, mode, ct: ct);
            if (last is ImageVerdict.Verified) return last;
        }
        return last!;
    }

    /// <param name="requiredPredicateTypes">Attestations that must be present and valid (default: <see cref="DefaultRequiredPredicateTypes"/>; empty: signature only).</param>
    public static async Task<ImageVerdict> VerifyAsync(RegistryClient registry, ImageReference image, string publicKeyPem, VerificationMode mode,
                                                       IReadOnlyCollection<string>? requiredPredicateTypes = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var key = VerificationKey.FromPem(publicKeyPem);
        var (repository, digest) = CosignFormat.RequireDigest(image);
        var identity = CosignFormat.RepositoryIdentity(repository);

        var signatureTag = repository.WithTag(CosignFormat.SignatureTag(digest));
        if (await registry.FindManifestAsync(signatureTag, ct) is not { } signatures)
            return new ImageVerdict.Unsigned(image, mode, $"no signature: the registry has no tag {signatureTag.Tag}");
        var layers = CosignManifest.ParseLayers(signatures.Content).Where(layer => layer.Descriptor.MediaType == CosignFormat.SimpleSigningMediaType).ToList();
        if (layers.Count == 0)
            return new ImageVerdict.Unsigned(image, mode, $"no signature: {signatureTag.Tag} holds no {CosignFormat.SimpleSigningMediaType} layer");

        var problems = new List<string>();
        var signed = false;
        foreach (var layer in layers)
        {
            var problem = await CheckSignatureAsync(registry, repository, layer, key, identity, digest, ct);
            if (problem is null)
            {
                signed = true;
                break;
            }
            problems.Add(problem);
        }
        if (!signed)
            return new ImageVerdict.Invalid(image, mode, problems.Count == 1 ? problems[0] : $"none of {problems.Count} signatures holds: " + string.Join("; ", problems));

        var required = requiredPredicateTypes ?? DefaultRequiredPredicateTypes;
        if (required.Count == 0)
            return new ImageVerdict.Verified(image, mode, "signature verified with the key", []);
        var (attestations, attestationProblems) = await VerifyAttestationsAsync(registry, repository, digest, key, ct);
        foreach (var type in required)
        {
            if (attestations.Any(attestation => attestation.PredicateType == type)) continue;
            var why = attestationProblems.Where(problem => problem.PredicateType == type).Select(problem => problem.Reason).ToList();
            return new ImageVerdict.Invalid(image, mode, why.Count == 0
                ? $"signed, but no {type} attestation is attached ({CosignFormat.AttestationTag(digest)})"
                : $"the {type} attestation does not hold: {string.Join("; ", why)}");
        }
        return new ImageVerdict.Verified(image, mode,
            $"signature and {attestations.Count} attestation(s) verified with the key ({string.Join(", ", attestations.Select(a => a.PredicateType))})",
            attestations);
    }

    /// <summary>The image's attestations that verify with the key and name the digest, and why the others do not.</summary>
    public static async Task<(IReadOnlyList<VerifiedAttestation> Verified, IReadOnlyList<(string PredicateType, string Reason)> Problems)> VerifyAttestationsAsync(
        RegistryClient registry, ImageReference repository, string digest, VerificationKey key, CancellationToken ct = default)
    {
        var verified = new List<VerifiedAttestation>();
        var problems = new List<(string, string)>();
        if (await registry.FindManifestAsync(repository.WithTag(CosignFormat.AttestationTag(digest)), ct) is not { } manifest)
            return (verified, problems);
        foreach (var layer in CosignManifest.ParseLayers(manifest.Content).Where(layer => layer.Descriptor.MediaType == CosignFormat.DsseEnvelopeMediaType))
        {
            var declared = layer.Annotation(CosignFormat.PredicateTypeAnnotation) ?? "(no predicateType)";
            try
            {
                if (await BlobOrProblemAsync(registry, repository, layer.Descriptor.Digest, ct) is not { } blob)
                {
                    problems.Add((declared, $"the registry does not serve envelope {layer.Descriptor.Digest} as stored (missing, or content not matching its digest)"));
                    continue;
                }
                var envelope = DsseEnvelope.Parse(blob);
                if (envelope.PayloadType != CosignFormat.InTotoPayloadType)
                    problems.Add((declared, $"envelope {layer.Descriptor.Digest} has payloadType {envelope.PayloadType}, not {CosignFormat.InTotoPayloadType}"));
                else if (!envelope.IsSignedBy(key))
                    problems.Add((declared, $"the DSSE signature of envelope {layer.Descriptor.Digest} does not verify with the key: its statement was changed after signing, or another key signed it"));
                else if (InTotoStatement.Parse(envelope.Payload) is var statement && !statement.HasSubjectDigest(digest))
                    problems.Add((statement.PredicateType, $"the statement's subject is {string.Join(", ", statement.Subjects.Select(s => s.Digest.GetValueOrDefault("sha256")))}, not {digest}"));
                else if (statement.PredicateType != declared)
                    problems.Add((declared, $"the layer says predicateType {declared}, the signed statement {statement.PredicateType}"));
                else
                    verified.Add(new VerifiedAttestation(envelope, statement));
            }
            catch (FormatException exception)
            {
                problems.Add((declared, $"layer {layer.Descriptor.Digest}: {exception.Message}"));
            }
        }
        return (verified, problems);
    }

    /// <summary>The blob, or null when the registry lacks it or serves other bytes: that is the artifact's fault, a verdict, not a registry failure.</summary>
    private static async Task<byte[]?> BlobOrProblemAsync(RegistryClient registry, ImageReference repository, string digest, CancellationToken ct)
    {
        try
        {
            return await registry.GetBlobAsync(repository, digest, ct);
        }
        catch (Exception exception) when (exception is InvalidDataException or RegistryRequestException { StatusCode: System.Net.HttpStatusCode.NotFound })
        {
            return null;
        }
    }

    /// <summary>Null when the layer's signature verifies and its payload names this image; otherwise why not.</summary>
    private static async Task<string?> CheckSignatureAsync(RegistryClient registry, ImageReference repository, CosignLayer layer, VerificationKey key,
                                                           string identity, string digest, CancellationToken ct)
    {
        var signature = CosignFormat.TryDecodeSignature(layer.Annotation(CosignFormat.SignatureAnnotation));
        if (signature is null)
            return $"signature layer {layer.Descriptor.Digest} has no base64 {CosignFormat.SignatureAnnotation} annotation";
        if (await BlobOrProblemAsync(registry, repository, layer.Descriptor.Digest, ct) is not { } payload)
            return $"the registry does not serve payload {layer.Descriptor.Digest} as stored (missing, or content not matching its digest)";
        if (!key.Verify(payload, signature))
            return $"the signature over payload {layer.Descriptor.Digest} does not verify with the key (signed by another key, or the payload changed)";
        SimpleSigningPayload claims;
        try
        {
            claims = SimpleSigningPayload.Parse(payload);
        }
        catch (FormatException exception)
        {
            return exception.Message;
        }
        if (claims.Type != CosignFormat.SignatureType)
            return $"the signed payload's type is '{claims.Type}', not '{CosignFormat.SignatureType}'";
        if (claims.ManifestDigest != digest)
            return $"the signed payload names digest {claims.ManifestDigest}, not {digest}";
        if (claims.DockerReference != identity)
            return $"the signed payload names repository {claims.DockerReference}, not {identity}";
        return null;
    }
}
