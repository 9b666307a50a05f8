using System.Text.Json;

namespace Slipway.Delivery.Oci;

/// <summary>
/// An OCI image layout directory on disk (oci-layout, index.json, blobs/sha256/&lt;hex&gt;) holding ONE image.
/// The image digest (what goes to image.json and the config repo) is the digest of its manifest.
/// </summary>
public sealed partial class OciImageLayout
{
    private OciImageLayout(string directory, OciDescriptor manifest, OciDescriptor config, IReadOnlyList<OciDescriptor> layers,
                           IReadOnlyDictionary<string, string> manifestAnnotations)
    {
        Directory = directory;
        Manifest = manifest;
        Config = config;
        Layers = layers;
        ManifestAnnotations = manifestAnnotations;
    }

    public string Directory { get; }
    /// <summary>The image manifest; its digest is the image digest.</summary>
    public OciDescriptor Manifest { get; }
    public OciDescriptor Config { get; }
    public IReadOnlyList<OciDescriptor> Layers { get; }
    public IReadOnlyDictionary<string, string> ManifestAnnotations { get; }

    /// <summary>Every blob the image consists of: config first, then layers (the manifest itself excluded).</summary>
    public IEnumerable<OciDescriptor> Blobs => Layers.Prepend(Config);

    public string BlobPath(string digest) => Path.Combine(Directory, "blobs", "sha256", Sha256Digest.Hex(digest));

    public byte[] ReadManifestBytes() => File.ReadAllBytes(BlobPath(Manifest.Digest));
    public byte[] ReadConfigBytes() => File.ReadAllBytes(BlobPath(Config.Digest));

    public override string ToString() => $"OCI layout {Directory} ({Manifest.Digest})";

    /// <summary>Opens and validates a layout: marker, index with one image manifest, manifest digest, and every blob present with its size.</summary>
    public static OciImageLayout Open(string directory)
    {
        var root = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(root))
            throw new InvalidOciLayoutException(root, "the directory does not exist");

        var marker = Path.Combine(root, "oci-layout");
        if (!File.Exists(marker))
            throw new InvalidOciLayoutException(root, "it has no 'oci-layout' file");
        try
        {
            using var markerJson = JsonDocument.Parse(File.ReadAllBytes(marker));
            if (!markerJson.RootElement.TryGetProperty("imageLayoutVersion", out var version) || version.GetString() != "1.0.0")
                throw new InvalidOciLayoutException(root, "'oci-layout' does not declare imageLayoutVersion 1.0.0");
        }
        catch (JsonException exception)
        {
            throw new InvalidOciLayoutException(root, $"'oci-layout' is not valid JSON ({exception.Message})", exception);
        }

        var indexPath = Path.Combine(root, "index.json");
        if (!File.Exists(indexPath))
            throw new InvalidOciLayoutException(root, "it has no 'index.json'");
        OciDescriptor manifest;
        try
        {
            using var index = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (!index.RootElement.TryGetProperty("manifests", out var manifests) || manifests.ValueKind != JsonValueKind.Array)
                throw new InvalidOciLayoutException(root, "'index.json' has no manifests array");
            if (manifests.GetArrayLength() != 1)
                throw new InvalidOciLayoutException(root, $"'index.json' lists {manifests.GetArrayLength()} manifests; a Slipway layout holds exactly one image");
            manifest = OciJson.ReadDescriptor(manifests[0], "index.json manifest");
        }
        catch (Exception exception) when (exception is JsonException or FormatException)
        {
            throw new InvalidOciLayoutException(root, $"'index.json' is invalid ({exception.Message})", exception);
        }
        if (OciMediaTypes.IsIndex(manifest.MediaType))
            throw new InvalidOciLayoutException(root, "'index.json' points to an image index (multi-platform); a Slipway layout holds one single-platform image");
        if (!OciMediaTypes.IsImageManifest(manifest.MediaType))
            throw new InvalidOciLayoutException(root, $"'index.json' points to '{manifest.MediaType}', not an image manifest");

        var manifestPath = BlobFile(root, manifest, "manifest");
        var manifestBytes = File.ReadAllBytes(manifestPath);
        if (Sha256Digest.Of(manifestBytes) != manifest.Digest)
            throw new InvalidOciLayoutException(root, $"the manifest blob does not match its digest {manifest.Digest} (corrupt or edited)");

        (OciDescriptor Config, IReadOnlyList<OciDescriptor> Layers, IReadOnlyDictionary<string, string> Annotations) parsed;
        try
        {
            parsed = OciJson.ParseImageManifest(manifestBytes, $"manifest {manifest.Digest}");
        }
        catch (FormatException exception)
        {
            throw new InvalidOciLayoutException(root, exception.Message, exception);
        }
        BlobFile(root, parsed.Config, "config");
        for (var i = 0; i < parsed.Layers.Count; i++) BlobFile(root, parsed.Layers[i], $"layer {i}");
        return new OciImageLayout(root, manifest, parsed.Config, parsed.Layers, parsed.Annotations);
    }

    /// <summary>
    /// Writes config + already-compressed layers (tar+gzip) and an OCI image manifest into <paramref name="directory"/>;
    /// deterministic: the same bytes in give the same manifest digest. An existing layout in the directory is replaced
    /// only once the new one is complete.
    /// </summary>
    public static async Task<OciImageLayout> CreateAsync(string directory, byte[] configJson, IReadOnlyList<string> gzipLayerFiles,
                                                         IReadOnlyDictionary<string, string>? manifestAnnotations = null,
                                                         CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(configJson);
        ArgumentNullException.ThrowIfNull(gzipLayerFiles);
        ValidateConfig(configJson, gzipLayerFiles.Count);
        foreach (var layer in gzipLayerFiles)
        {
            if (!File.Exists(layer))
                throw new FileNotFoundException($"Layer file '{layer}' does not exist.", layer);
            if (!OciLayer.IsGzip(layer))
                throw new InvalidDataException($"Layer file '{layer}' is not gzip-compressed; compress the tar with OciLayer.GzipDeterministicAsync first.");
        }

        using var writer = new OciLayoutWriter(directory);
        var config = await writer.AddBlobAsync(configJson, OciMediaTypes.ImageConfig, ct);
        var layers = new List<OciDescriptor>(gzipLayerFiles.Count);
        foreach (var layer in gzipLayerFiles)
            layers.Add(await writer.AddBlobFromFileAsync(layer, OciMediaTypes.LayerTarGzip, ct));
        var manifest = OciJson.ImageManifest(config, layers, manifestAnnotations);
        return await writer.CommitAsync(manifest, OciMediaTypes.ImageManifest, ct);
    }

    private static void ValidateConfig(byte[] configJson, int layerCount)
    {
        try
        {
            using var config = JsonDocument.Parse(configJson);
            if (config.RootElement.ValueKind != JsonValueKind.Object)
                throw new FormatException("Image config must be a JSON object (OCI image config: architecture, os, config, rootfs).");
            if (config.RootElement.TryGetProperty("rootfs", out var rootfs)
                && rootfs.TryGetProperty("diff_ids", out var diffIds) && diffIds.ValueKind == JsonValueKind.Array
                && diffIds.GetArrayLength() != layerCount)
                throw new FormatException(
                    $"Image config lists {diffIds.GetArrayLength()} rootfs.diff_ids but {layerCount} layers were given; " +
                    "each layer needs its diff_id (OciLayer.GzipDeterministicAsync returns it).");
        }
        catch (JsonException exception)
        {
            throw new FormatException($"Image config is not valid JSON: {exception.Message}", exception);
        }
    }

    private static string BlobFile(string root, OciDescriptor descriptor, string what)
    {
        var path = Path.Combine(root, "blobs", "sha256", Sha256Digest.Hex(descriptor.Digest));
        if (!File.Exists(path))
            throw new InvalidOciLayoutException(root, $"the {what} blob {descriptor.Digest} is missing");
        var length = new FileInfo(path).Length;
        if (length != descriptor.Size)
            throw new InvalidOciLayoutException(root, $"the {what} blob {descriptor.Digest} has {length} bytes but its descriptor says {descriptor.Size}");
        return path;
    }
}
