using Slipway.Delivery.Oci;
using Slipway.Delivery.Versioning;

namespace Slipway.Delivery.Images;

/// <summary>An image that was built: its OCI layout on disk, its digest, and its id in the local Docker engine.</summary>
/// <param name="Repository">The repository it is named for, e.g. 127.0.0.1:5000/beacon.</param>
/// <param name="Digest">The image (manifest) digest, sha256:...</param>
/// <param name="Tags">Its tags: version and sha-&lt;short commit&gt;.</param>
/// <param name="Version">Version and commit it was built from.</param>
/// <param name="Builder">The builder that made it.</param>
/// <param name="Layout">The OCI image layout holding it (what Push sends).</param>
/// <param name="LocalImageId">The image id in the local Docker engine (config digest), for ContainerTest.</param>
/// <param name="ManifestFile">The path of the image.json written for later targets.</param>
public sealed record BuiltImage(
    ImageReference Repository,
    string Digest,
    IReadOnlyList<string> Tags,
    ServiceVersion Version,
    ImageBuilderKind Builder,
    OciImageLayout Layout,
    string LocalImageId,
    string ManifestFile)
{
    /// <summary>The reference by digest: repository@sha256:...</summary>
    public ImageReference Reference => Repository.WithDigest(Digest);

    /// <summary>The name the image carries in the local engine (repository:version).</summary>
    public string LocalName => $"{Repository}:{Tags[0]}";
}
