using System.Text;
using System.Text.Json.Nodes;
using Slipway.Delivery.Oci;
using Slipway.Delivery.Registry;
using Slipway.Delivery.SupplyChain;
using Slipway.Delivery.Tests.Registry;

namespace Slipway.Delivery.Tests.SupplyChain;

/// <summary>Signing and verification end to end against <see cref="RegistryApiSimulation"/> (in process; the engine tier repeats it on a real registry).</summary>
public sealed class ImageSigningSimulationTests : IDisposable
{
    private readonly RegistryApiSimulation simulation = new();
    private readonly TestLog log = new();
    private readonly RegistryClient registry;
    private readonly SigningKey key = SigningKey.Generate();
    private readonly ImageReference repository = ImageReference.Parse("127.0.0.1:5999/slipway/beacon");

    public ImageSigningSimulationTests() => registry = new RegistryClient(log.Logger, _ => null, simulation);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        registry.Dispose();
        simulation.Dispose();
        key.Dispose();
    }

    private async Task<ImageReference> SignedImageAsync(string content = "app")
    {
        var image = await SupplyChainSamples.PushTinyImageAsync(registry, repository, content, Ct);
        await ImageSigner.SignAndAttestAsync(registry, image, SupplyChainSamples.Sbom(image), SupplyChainSamples.Provenance(), key, Ct);
        return image;
    }

    [Fact]
    public async Task A_signed_and_attested_image_verifies_and_its_SBOM_and_provenance_read_back()
    {
        var image = await SignedImageAsync();

        var verdict = await ImageVerifier.VerifyAsync(registry, image, key.PublicKeyPem, VerificationMode.Enforce, ct: Ct);

        var verified = Assert.IsType<ImageVerdict.Verified>(verdict);
        Assert.True(verdict.Permitted);
        Assert.Equal(2, verified.Attestations.Count);
        Assert.Equal(SupplyChainSamples.Packages.Count, verified.Sbom!.Components.Count);
        Assert.Equal(image.Digest, verified.Sbom.SubjectVersion);
        Assert.Equal("run-42", verified.Provenance!.RunId);
        Assert.Equal("0123456789abcdef0123456789abcdef01234567", verified.Provenance.SourceCommit);
        Assert.Contains(CosignFormat.SignatureTag(image.Digest!), await registry.ListTagsAsync(repository, Ct));
        Assert.Contains(CosignFormat.AttestationTag(image.Digest!), await registry.ListTagsAsync(repository, Ct));
    }

    [Fact]
    public async Task Another_key_makes_the_verdict_invalid_and_an_enforcing_gate_refuses()
    {
        var image = await SignedImageAsync();
        using var other = SigningKey.Generate();

        var verdict = await ImageVerifier.VerifyAsync(registry, image, other.PublicKeyPem, VerificationMode.Enforce, ct: Ct);

        var invalid = Assert.IsType<ImageVerdict.Invalid>(verdict);
        Assert.Contains("does not verify with the key", invalid.Reason);
        Assert.False(verdict.Permitted);
    }

    [Fact]
    public async Task An_unsigned_image_is_unsigned_and_audit_mode_lets_it_through_saying_so()
    {
        var image = await SupplyChainSamples.PushTinyImageAsync(registry, repository, "unsigned", Ct);

        var enforced = await ImageVerifier.VerifyAsync(registry, image, key.PublicKeyPem, VerificationMode.Enforce, ct: Ct);
        var audited = await ImageVerifier.VerifyAsync(registry, image, key.PublicKeyPem, VerificationMode.Audit, ct: Ct);

        Assert.IsType<ImageVerdict.Unsigned>(enforced);
        Assert.Contains(CosignFormat.SignatureTag(image.Digest!), enforced.Reason);
        Assert.False(enforced.Permitted);
        Assert.True(audited.Permitted);
        Assert.EndsWith("(audit mode: allowed)", audited.ToString());
    }

    [Fact]
    public async Task A_signature_whose_payload_names_another_digest_is_invalid()
    {
        // A valid signature of image A copied under image B's .sig tag: the signature holds, the claim does not.
        var signedImage = await SignedImageAsync("a");
        var otherImage = await SupplyChainSamples.PushTinyImageAsync(registry, repository, "b", Ct);
        var copied = await registry.FindManifestAsync(repository.WithTag(CosignFormat.SignatureTag(signedImage.Digest!)), Ct);
        await registry.PushManifestAsync(repository, CosignFormat.SignatureTag(otherImage.Digest!), copied!.Content, copied.MediaType, [], Ct);

        var verdict = await ImageVerifier.VerifyAsync(registry, otherImage, key.PublicKeyPem, VerificationMode.Enforce, [], Ct);

        var invalid = Assert.IsType<ImageVerdict.Invalid>(verdict);
        Assert.Equal($"the signed payload names digest {signedImage.Digest}, not {otherImage.Digest}", invalid.Reason);
    }

    [Theory]
    [InlineData("type", "something else", "the signed payload's type is 'something else', not 'cosign container image signature'")]
    [InlineData("docker-reference", "127.0.0.1:5999/elsewhere", "the signed payload names repository 127.0.0.1:5999/elsewhere, not 127.0.0.1:5999/slipway/beacon")]
    public async Task A_signed_payload_with_a_wrong_field_is_invalid(string field, string value, string reason)
    {
        var image = await SupplyChainSamples.PushTinyImageAsync(registry, repository, "fields", Ct);
        var claims = SimpleSigningPayload.For("127.0.0.1:5999/slipway/beacon", image.Digest!);
        claims = field == "type" ? claims with { Type = value } : claims with { DockerReference = value };
        var payload = RegistryBlob.Of(CosignFormat.SimpleSigningMediaType, claims.ToBytes());
        var layer = new CosignLayer(payload.Descriptor, new Dictionary<string, string>
        {
            [CosignFormat.SignatureAnnotation] = Convert.ToBase64String(key.Sign(payload.Content)),
        });
        var (manifest, config) = CosignManifest.Build([layer]);
        await registry.PushManifestAsync(repository, CosignFormat.SignatureTag(image.Digest!), manifest, OciMediaTypes.ImageManifest, [config, payload], Ct);

        var verdict = await ImageVerifier.VerifyAsync(registry, image, key.PublicKeyPem, VerificationMode.Enforce, [], Ct);

        Assert.Equal(reason, Assert.IsType<ImageVerdict.Invalid>(verdict).Reason);
    }

    [Fact]
    public async Task A_signature_whose_payload_blob_is_missing_is_invalid_not_an_error()
    {
        // The simulation, unlike distribution, accepts a manifest whose blobs it lacks: a registry that lost the payload.
        var image = await SupplyChainSamples.PushTinyImageAsync(registry, repository, "lost payload", Ct);
        var payload = RegistryBlob.Of(CosignFormat.SimpleSigningMediaType, SimpleSigningPayload.For("127.0.0.1:5999/slipway/beacon", image.Digest!).ToBytes());
        var (manifest, config) = CosignManifest.Build([new CosignLayer(payload.Descriptor, new Dictionary<string, string>
        {
            [CosignFormat.SignatureAnnotation] = Convert.ToBase64String(key.Sign(payload.Content)),
        })]);
        await registry.PushManifestAsync(repository, CosignFormat.SignatureTag(image.Digest!), manifest, OciMediaTypes.ImageManifest, [config], Ct);

        var verdict = await ImageVerifier.VerifyAsync(registry, image, key.PublicKeyPem, VerificationMode.Enforce, [], Ct);

        Assert.Contains($"does not serve payload {payload.Descriptor.Digest}", Assert.IsType<ImageVerdict.Invalid>(verdict).Reason);
    }

    [Fact]
    public async Task An_SBOM_changed_after_signing_is_invalid_with_a_clear_reason()
    {
        var image = await SignedImageAsync();
        await SbomTampering.ReplaceSbomVersionAsync(registry, repository, image.Digest!, "Serilog", "9.9.9", Ct);

        var verdict = await ImageVerifier.VerifyAsync(registry, image, key.PublicKeyPem, VerificationMode.Enforce, ct: Ct);

        var invalid = Assert.IsType<ImageVerdict.Invalid>(verdict);
        Assert.StartsWith($"the {CycloneDxSbom.PredicateType} attestation does not hold: the DSSE signature of envelope", invalid.Reason);
        Assert.Contains("changed after signing", invalid.Reason);
        // The signature alone still holds: only the SBOM was tampered with.
        Assert.IsType<ImageVerdict.Verified>(await ImageVerifier.VerifyAsync(registry, image, key.PublicKeyPem, VerificationMode.Enforce, [], Ct));
    }

    [Fact]
    public async Task A_signed_image_without_attestations_is_invalid_unless_only_the_signature_is_required()
    {
        var image = await SupplyChainSamples.PushTinyImageAsync(registry, repository, "signature only", Ct);
        await ImageSigner.SignAsync(registry, image, key, Ct);

        var verdict = await ImageVerifier.VerifyAsync(registry, image, key.PublicKeyPem, VerificationMode.Enforce, ct: Ct);

        Assert.Equal($"signed, but no {CycloneDxSbom.PredicateType} attestation is attached ({CosignFormat.AttestationTag(image.Digest!)})",
            Assert.IsType<ImageVerdict.Invalid>(verdict).Reason);
        Assert.IsType<ImageVerdict.Verified>(await ImageVerifier.VerifyAsync(registry, image, key.PublicKeyPem, VerificationMode.Enforce, [], Ct));
    }

    [Fact]
    public async Task Signing_again_adds_nothing_and_attesting_again_replaces_the_same_predicate_type()
    {
        var image = await SignedImageAsync();
        var signatures = repository.WithTag(CosignFormat.SignatureTag(image.Digest!));
        var attestations = repository.WithTag(CosignFormat.AttestationTag(image.Digest!));
        var firstSignatures = await registry.FindManifestAsync(signatures, Ct);

        var again = await ImageSigner.SignAndAttestAsync(registry, image, SupplyChainSamples.Sbom(image), SlsaProvenance.Create(SupplyChainSamples.Build("run-43")), key, Ct);

        Assert.True(again.AlreadySigned);
        Assert.Equal(firstSignatures!.Digest, (await registry.FindManifestAsync(signatures, Ct))!.Digest);
        var layers = CosignManifest.ParseLayers((await registry.FindManifestAsync(attestations, Ct))!.Content);
        Assert.Equal([CycloneDxSbom.PredicateType, SlsaProvenance.PredicateType],
            layers.Select(layer => layer.Annotation(CosignFormat.PredicateTypeAnnotation)).Order(StringComparer.Ordinal));
        var verdict = Assert.IsType<ImageVerdict.Verified>(await ImageVerifier.VerifyAsync(registry, image, key.PublicKeyPem, VerificationMode.Enforce, ct: Ct));
        Assert.Equal("run-43", verdict.Provenance!.RunId);
    }

    [Fact]
    public async Task After_a_key_rotation_both_the_old_and_the_new_key_verify_the_signature()
    {
        var image = await SignedImageAsync();
        using var rotated = SigningKey.Generate();

        await ImageSigner.SignAndAttestAsync(registry, image, SupplyChainSamples.Sbom(image), SupplyChainSamples.Provenance(), rotated, Ct);

        var layers = CosignManifest.ParseLayers((await registry.FindManifestAsync(repository.WithTag(CosignFormat.SignatureTag(image.Digest!)), Ct))!.Content);
        Assert.Equal(2, layers.Count);
        Assert.IsType<ImageVerdict.Verified>(await ImageVerifier.VerifyAsync(registry, image, rotated.PublicKeyPem, VerificationMode.Enforce, ct: Ct));
        Assert.IsType<ImageVerdict.Verified>(await ImageVerifier.VerifyAsync(registry, image, key.PublicKeyPem, VerificationMode.Enforce, [], Ct));
    }

    [Fact]
    public async Task Signing_refuses_a_tag_and_an_image_the_registry_lacks()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => ImageSigner.SignAsync(registry, repository.WithTag("1.0.0"), key, Ct));
        var missing = repository.WithDigest("sha256:" + new string('0', 64));
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => ImageSigner.SignAsync(registry, missing, key, Ct));
        Assert.Contains("push the image before signing it", refused.Message);
    }

    [Fact]
    public async Task The_private_key_never_reaches_the_log()
    {
        await SignedImageAsync();
        using var pem = new StringReader(await PrivatePemAsync());
        var body = string.Concat(pem.ReadToEnd().Split('\n').Where(line => !line.StartsWith("-----", StringComparison.Ordinal)));

        Assert.NotEmpty(log.Lines);
        Assert.All(log.Lines, line => Assert.DoesNotContain(body[..40], line));
    }

    [Fact]
    public async Task The_simulated_registry_has_no_referrers_API_so_signatures_live_under_tags()
    {
        var image = await SupplyChainSamples.PushTinyImageAsync(registry, repository, "referrers", Ct);

        Assert.False(await registry.SupportsReferrersAsync(image, Ct));
    }

    private async Task<string> PrivatePemAsync()
    {
        var path = Path.Combine(Path.GetTempPath(), "slipway-key-" + Guid.NewGuid().ToString("N"));
        try
        {
            await key.WritePrivateKeyAsync(path, Ct);
            return await File.ReadAllTextAsync(path, Ct);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// <summary>Changes a component of the attested SBOM after signing, keeping the envelope's signature: what an attacker editing the registry would do.</summary>
internal static class SbomTampering
{
    public static async Task ReplaceSbomVersionAsync(RegistryClient registry, ImageReference repository, string digest, string component, string version,
                                                     CancellationToken ct)
    {
        var tag = CosignFormat.AttestationTag(digest);
        var manifest = await registry.FindManifestAsync(repository.WithTag(tag), ct)
            ?? throw new InvalidOperationException($"{tag} is missing");
        var layers = CosignManifest.ParseLayers(manifest.Content).ToList();
        var index = layers.FindIndex(layer => layer.Annotation(CosignFormat.PredicateTypeAnnotation) == CycloneDxSbom.PredicateType);
        var envelope = DsseEnvelope.Parse(await registry.GetBlobAsync(repository, layers[index].Descriptor.Digest, ct));
        var statement = JsonNode.Parse(envelope.Payload)!;
        var entry = statement["predicate"]!["components"]!.AsArray().Single(node => (string?)node!["name"] == component)!;
        entry["version"] = version;
        var tampered = RegistryBlob.Of(CosignFormat.DsseEnvelopeMediaType,
            (envelope with { Payload = Encoding.UTF8.GetBytes(statement.ToJsonString()) }).ToBytes());
        layers[index] = layers[index] with { Descriptor = tampered.Descriptor };
        var (rebuilt, config) = CosignManifest.Build(layers);
        await registry.PushManifestAsync(repository, tag, rebuilt, OciMediaTypes.ImageManifest, [config, tampered], ct);
    }
}
