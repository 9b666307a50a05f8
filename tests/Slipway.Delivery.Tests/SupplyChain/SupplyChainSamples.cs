using System.Text;
using Slipway.Delivery.Oci;
using Slipway.Delivery.Registry;
using Slipway.Delivery.SupplyChain;

namespace Slipway.Delivery.Tests.SupplyChain;

/// <summary>What the supply-chain tests sign: a tiny image pushed from memory, an SBOM and a provenance predicate.</summary>
internal static class SupplyChainSamples
{
    public static readonly DateTimeOffset CommitTime = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    public static readonly IReadOnlyList<SbomComponent> Packages =
    [
        SbomComponent.NuGet("Serilog", "4.4.0"),
        SbomComponent.NuGet("Yarp.ReverseProxy", "2.3.0"),
        SbomComponent.Debian("libc6", "2.36-9+deb12u10", "amd64"),
        SbomComponent.Debian("tzdata", null, "amd64"),
    ];

    public static BuildProvenance Build(string runId = "run-42") => new(
        BuildType: "https://slipway.dev/build/pipeline/v1",
        BuilderId: "https://slipway.dev/builder/local",
        RunId: runId,
        SourceRepository: "https://example.com/acme/beacon.git",
        SourceCommit: "0123456789abcdef0123456789abcdef01234567",
        ExternalParameters: new Dictionary<string, string>
        {
            ["target"] = "Push",
            ["registry"] = "127.0.0.1:5000",
            ["registry-password"] = "hunter2-must-not-leak",
            ["github-token"] = "ghp_must_not_leak",
        },
        StartedOn: CommitTime.AddMinutes(1),
        FinishedOn: CommitTime.AddMinutes(3));

    public static AttestationPredicate Sbom(ImageReference image) => CycloneDxSbom.Create(image, Packages, CommitTime);

    public static AttestationPredicate Provenance() => SlsaProvenance.Create(Build());

    /// <summary>Pushes a minimal OCI image (config + one layer, both from memory) and returns it by digest.</summary>
    public static async Task<ImageReference> PushTinyImageAsync(RegistryClient registry, ImageReference repository, string content, CancellationToken ct)
    {
        var layer = RegistryBlob.Of(OciMediaTypes.LayerTar, Encoding.UTF8.GetBytes(content));
        var config = RegistryBlob.Of(OciMediaTypes.ImageConfig, Encoding.UTF8.GetBytes(
            $$$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["{{{layer.Descriptor.Digest}}}"]}}"""));
        var manifest = Encoding.UTF8.GetBytes(
            $"{{\"schemaVersion\":2,\"mediaType\":\"{OciMediaTypes.ImageManifest}\"," +
            $"\"config\":{{\"mediaType\":\"{OciMediaTypes.ImageConfig}\",\"digest\":\"{config.Descriptor.Digest}\",\"size\":{config.Descriptor.Size}}}," +
            $"\"layers\":[{{\"mediaType\":\"{OciMediaTypes.LayerTar}\",\"digest\":\"{layer.Descriptor.Digest}\",\"size\":{layer.Descriptor.Size}}}]}}");
        return await registry.PushManifestAsync(repository, "1.0.0", manifest, OciMediaTypes.ImageManifest, [config, layer], ct);
    }
}
