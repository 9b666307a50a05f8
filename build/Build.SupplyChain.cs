using System.Security.Cryptography;
using System.Text;
using Slipway.Build;
using Slipway.Delivery.Images;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Oci;
using Slipway.Delivery.Platform;
using Slipway.Delivery.Registry;
using Slipway.Delivery.SupplyChain;

/// <summary>
/// The supply chain: Push signs each image and attests its SBOM and provenance (cosign's format, in the registry); the
/// public key lives in the config repo's keys/, so every verifier trusts what Git says; GitOpsCommit and Promote refuse
/// a digest that does not verify in an environment whose policy is enforce. See src/Slipway.Delivery.Core/SupplyChain/README.md.
/// </summary>
partial class Build
{
    [Parameter("The image signing key, a PKCS#8 PEM of an ECDSA P-256 key, e.g. a CI secret (default: .nuke/platform/keys/signing.key, made by Infrastructure)"), Secret]
    readonly string? SigningKey = null;

    AbsolutePath KeysDirectory => PlatformDirectory / "keys";
    AbsolutePath SigningKeyFile => KeysDirectory / "signing.key";
    AbsolutePath SigningPublicKeyFile => KeysDirectory / "signing.pub";

    async Task<SigningKey> OpenSigningKeyAsync()
    {
        if (SigningKey is { Length: > 0 } pem)
        {
            return Slipway.Delivery.SupplyChain.SigningKey.FromPrivateKeyPem(pem);
        }
        var (key, generated) = await Slipway.Delivery.SupplyChain.SigningKey.LoadOrCreateAsync(SigningKeyFile, SigningPublicKeyFile, CancellationToken);
        if (generated)
        {
            Log.Information("Generated the image signing key {Key} (mode 600); its public half is {Public}", SigningKeyFile, SigningPublicKeyFile);
        }
        return key;
    }

    /// <summary>The name a public key is published under in keys/: its fingerprint, so a rotation adds a file beside the old one.</summary>
    static string PublishedKeyName(string publicKeyPem) =>
        $"slipway-{Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(publicKeyPem.Trim())))[..16]}.pub";

    /// <summary>Infrastructure: the signing key exists and its public half is in the config repo, where the gates and the agent read it.</summary>
    async Task PublishSigningKeyAsync()
    {
        using var key = await OpenSigningKeyAsync();
        var repository = OpenConfigRepository();
        var name = PublishedKeyName(key.PublicKeyPem);
        var published = await repository.ReadFolderAsync(SlipwayMetadata.KeysFolder, CancellationToken);
        if (published.TryGetValue(name, out var existing) && existing.Trim() == key.PublicKeyPem.Trim())
        {
            return;
        }
        var result = await repository.CommitAsync(SlipwayMetadata.KeysFolder, async (work, token) =>
        {
            Directory.CreateDirectory(Path.Combine(work, SlipwayMetadata.KeysFolder));
            await File.WriteAllTextAsync(Path.Combine(work, SlipwayMetadata.KeysFolder, name), key.PublicKeyPem.Trim() + "\n", token);
        }, $"Trust image signatures of the public key {name}", CancellationToken);
        Log.Information("Published the image signing public key as {Folder}/{Name} in the config repo ({Revision})",
            SlipwayMetadata.KeysFolder, name, result.Sha[..12]);
    }

    /// <summary>Push: the image's signature, and its SBOM (read from the image's own layers) and provenance as signed attestations.</summary>
    async Task SignAndAttestAsync(BuiltImage image, RegistryClient registry)
    {
        using var key = await OpenSigningKeyAsync();
        var basePackages = DebianBaseRecipe.DefaultPackages.Select(name => SbomComponent.Debian(name, null, DebianBaseRecipe.Architecture)).ToList();
        var components = await ImageContents.ReadComponentsAsync(image.Layout, basePackages, CancellationToken);
        var sbom = CycloneDxSbom.Create(image.Reference, components, image.Version.CommitTime);
        var provenance = SlsaProvenance.Create(new BuildProvenance(
            BuildType: "https://slipway.dev/build/pipeline/v1",
            BuilderId: Host.IsCi ? $"https://slipway.dev/builder/{Host.Name.ToString().ToLowerInvariant()}" : "https://slipway.dev/builder/local",
            RunId: RunId,
            SourceRepository: await Slipway.Delivery.Versioning.GitVersioning.ReadSourceUrlAsync(RootDirectory, CancellationToken),
            SourceCommit: image.Version.Commit,
            ExternalParameters: new Dictionary<string, string>
            {
                ["builder"] = Builder.ToString().ToLowerInvariant(),
                ["configuration"] = Configuration.ToString(),
                ["serviceProject"] = ServiceProject,
                ["imageName"] = ImageName,
                ["version"] = image.Version.Version,
            },
            FinishedOn: DateTimeOffset.UtcNow));
        var containerTest = new AttestationPredicate(SupplyChainEvidence.ContainerTestPredicateType,
            System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(ContainerTestReportFile, CancellationToken))!.AsObject());
        var (signatures, _) = await ImageSigner.SignAsync(registry, image.Reference, key, CancellationToken);
        var attestations = await ImageSigner.AttestAsync(registry, image.Reference, [sbom, provenance, containerTest], key, CancellationToken);
        Log.Information("Signed {Image} ({Signatures}) and attested its SBOM ({Components} components), provenance and ContainerTest results ({Attestations})",
            image.Reference, signatures, components.Count, attestations);
    }

    /// <summary>
    /// GitOpsCommit and Promote: the digest must verify against a key in the config repo's keys/ before it is committed
    /// to <paramref name="environment"/>; in audit mode a failure is a warning.
    /// </summary>
    async Task VerifyImageForAsync(string environment, string image)
    {
        using var registry = OpenRegistryClient();
        await new DeliveryImageGate(OpenConfigRepository(), registry, DeployDirectory, Log).CheckAsync(environment, image, CancellationToken);
    }
}
