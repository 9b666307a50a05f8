namespace Slipway.Delivery.Oci;

/// <summary>The media types Slipway writes (OCI) and reads (OCI and Docker schema 2).</summary>
public static class OciMediaTypes
{
    public const string ImageManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string ImageIndex = "application/vnd.oci.image.index.v1+json";
    public const string ImageConfig = "application/vnd.oci.image.config.v1+json";
    public const string LayerTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string LayerTar = "application/vnd.oci.image.layer.v1.tar";

    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerTarGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    public static bool IsImageManifest(string mediaType) => mediaType is ImageManifest or DockerManifest;
    public static bool IsIndex(string mediaType) => mediaType is ImageIndex or DockerManifestList;
}
