using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Oci;
using Slipway.Delivery.Registry;

namespace Slipway.Delivery.SupplyChain;

/// <summary>A digest an enforcing environment must not receive: unsigned, or not verifiable against the trusted keys.</summary>
public sealed class ImageRefusedException(string message, ImageVerdict verdict) : Exception(message)
{
    public ImageVerdict Verdict { get; } = verdict;
}

/// <summary>
/// The build's gate before it commits a digest to an environment (GitOpsCommit, Promote): the environment's policy
/// (deploy/environments/&lt;env&gt;.yaml, verification: enforce | audit), the trusted keys (the config repo's keys/*.pub;
/// any one of them verifies), and the verdict of the registry's signature and attestations.
/// </summary>
public sealed class DeliveryImageGate(ConfigRepository repository, RegistryClient registry, string deployDirectory, Serilog.ILogger log)
{
    /// <summary>The verdict when the environment may receive <paramref name="image"/>; throws <see cref="ImageRefusedException"/> when not.</summary>
    public async Task<ImageVerdict> CheckAsync(string environment, string image, CancellationToken ct = default)
    {
        var settings = EnvironmentSettings.Load(Path.Combine(deployDirectory, ManifestRenderer.EnvironmentsFolder, environment + ".yaml"));
        var mode = settings.Verification == SlipwayMetadata.VerificationAudit ? VerificationMode.Audit : VerificationMode.Enforce;
        var trusted = ImageVerifier.TrustedKeys(await repository.ReadFolderAsync(SlipwayMetadata.KeysFolder, ct));
        var verdict = await ImageVerifier.VerifyWithAnyKeyAsync(registry, ImageReference.Parse(image), trusted, mode, ct);
        if (!verdict.Permitted)
        {
            throw new ImageRefusedException(
                $"{environment} enforces signed images, and {verdict}. Nothing was committed. Sign it by pushing it with this pipeline " +
                $"(./build.sh Push), publish the signing key's public half in the config repo's {SlipwayMetadata.KeysFolder}/ " +
                $"(./build.sh Infrastructure does), or set verification: audit in deploy/environments/{environment}.yaml.", verdict);
        }
        if (verdict is ImageVerdict.Verified)
            log.Information("{Image} is signed by a key in {Folder}/ and attested (SBOM, provenance)", image, SlipwayMetadata.KeysFolder);
        else
            log.Warning("{Environment:l} audits image signatures: {Verdict:l}", environment, verdict.ToString());
        return verdict;
    }
}
