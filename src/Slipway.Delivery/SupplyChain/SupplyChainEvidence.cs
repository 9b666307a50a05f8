using Slipway.Delivery.Oci;

namespace Slipway.Delivery.SupplyChain;

/// <summary>
/// Where an image's proof lives in its registry: the signature (<c>sha256-&lt;hex&gt;.sig</c>) and the attestations
/// (<c>sha256-&lt;hex&gt;.att</c>: the SBOM, the provenance and the ContainerTest results), as references and as the
/// registry API addresses anyone can fetch them from. What a promotion pull request and a run record link.
/// </summary>
public sealed record SupplyChainEvidence(ImageReference Signature, ImageReference Attestations)
{
    /// <summary>The predicate type of the ContainerTest results Push attests beside the SBOM and the provenance.</summary>
    public const string ContainerTestPredicateType = "https://slipway.dev/container-test/v1";

    /// <summary>The attested kinds of proof, by predicate type, as a reader names them.</summary>
    public static readonly IReadOnlyList<(string Name, string PredicateType)> Attested =
    [
        ("SBOM (CycloneDX)", CycloneDxSbom.PredicateType),
        ("provenance (SLSA v1)", SlsaProvenance.PredicateType),
        ("ContainerTest results", ContainerTestPredicateType),
    ];

    public static SupplyChainEvidence For(ImageReference image)
    {
        var (repository, digest) = CosignFormat.RequireDigest(image);
        return new SupplyChainEvidence(repository.WithTag(CosignFormat.SignatureTag(digest)), repository.WithTag(CosignFormat.AttestationTag(digest)));
    }

    /// <summary>The registry API address of a manifest (plain HTTP for a loopback registry, HTTPS elsewhere).</summary>
    public static Uri ManifestUrl(ImageReference tagged)
    {
        var scheme = tagged.Registry.StartsWith("127.", StringComparison.Ordinal) || tagged.Registry.StartsWith("localhost", StringComparison.Ordinal) ? "http" : "https";
        return new Uri($"{scheme}://{tagged.Registry}/v2/{tagged.Repository}/manifests/{tagged.Tag}");
    }
}
