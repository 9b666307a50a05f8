using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;

namespace Slipway.Delivery.Oci;

// Converting image archives (docker save, the SDK's ContainerArchiveOutputPath) into a layout.
public sealed partial class OciImageLayout
{
    /// <summary>
    /// Converts an image archive into a layout: `docker save` output (docker-archive: manifest.json, config, layer
    /// tars), or an OCI layout archive (oci-layout, index.json, blobs — what the SDK writes with ContainerArchiveOutputPath
    /// for OCI base images, and Docker 25+ adds to `docker save`). The archive may be gzip-compressed.
    /// An OCI archive keeps its manifest bytes (and so its digest); a docker-archive gets a deterministic OCI manifest
    /// around its config, with uncompressed layers gzipped deterministically and compressed ones kept as they are.
    /// </summary>
    public static async Task<OciImageLayout> FromArchiveAsync(string archiveTar, string directory, CancellationToken ct = default)
    {
        if (!File.Exists(archiveTar))
            throw new FileNotFoundException($"Image archive '{archiveTar}' does not exist.", archiveTar);
        var target = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        var extracted = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.archive-{Guid.NewGuid():N}");
        try
        {
            var archive = await ArchiveContent.ExtractAsync(archiveTar, extracted, ct);
            if (archive.Exists("index.json") && archive.Exists("oci-layout"))
                return await FromOciArchiveAsync(archive, archiveTar, target, ct);
            if (archive.Exists("manifest.json"))
                return await FromDockerArchiveAsync(archive, archiveTar, target, ct);
            throw new InvalidDataException(
                $"'{archiveTar}' is neither a docker-archive (no manifest.json) nor an OCI layout archive (no index.json and oci-layout); " +
                "create it with `docker save` or `dotnet publish -t:PublishContainer -p:ContainerArchiveOutputPath=...`.");
        }
        finally
        {
            if (System.IO.Directory.Exists(extracted)) System.IO.Directory.Delete(extracted, recursive: true);
        }
    }

    private static async Task<OciImageLayout> FromOciArchiveAsync(ArchiveContent archive, string archiveTar, string target, CancellationToken ct)
    {
        var index = await File.ReadAllBytesAsync(archive.PathOf("index.json"), ct);
        string BlobName(OciDescriptor descriptor) => "blobs/sha256/" + Sha256Digest.Hex(descriptor.Digest);
        bool Present(OciDescriptor descriptor) => archive.Exists(BlobName(descriptor));

        // index.json -> (nested index ->) the image manifest for this platform.
        var descriptor = OciPlatform.Choose(index, Present)
            ?? throw new InvalidDataException($"'{archiveTar}' holds no linux/{OciPlatform.Architecture} image manifest.");
        for (var depth = 0; OciMediaTypes.IsIndex(descriptor.MediaType); depth++)
        {
            if (depth > 4) throw new InvalidDataException($"'{archiveTar}' nests image indexes too deeply.");
            descriptor = OciPlatform.Choose(await File.ReadAllBytesAsync(archive.PathOf(BlobName(descriptor)), ct), Present)
                ?? throw new InvalidDataException($"'{archiveTar}' holds no linux/{OciPlatform.Architecture} image manifest.");
        }
        if (!OciMediaTypes.IsImageManifest(descriptor.MediaType))
            throw new InvalidDataException($"'{archiveTar}' points to '{descriptor.MediaType}', not an image manifest.");

        var manifest = await File.ReadAllBytesAsync(archive.PathOf(BlobName(descriptor)), ct);
        var (config, layers, _) = OciJson.ParseImageManifest(manifest, $"manifest {descriptor.Digest} in '{archiveTar}'");
        using var writer = new OciLayoutWriter(target);
        foreach (var blob in layers.Prepend(config).DistinctBy(blob => blob.Digest))
        {
            if (!Present(blob))
                throw new InvalidDataException($"'{archiveTar}' lacks blob {blob.Digest} its manifest lists (a partial export?).");
            await using var content = File.OpenRead(archive.PathOf(BlobName(blob)));
            await writer.AddBlobAsync(content, blob.MediaType, blob.Digest, ct);
        }
        return await writer.CommitAsync(manifest, descriptor.MediaType, ct);
    }

    private static async Task<OciImageLayout> FromDockerArchiveAsync(ArchiveContent archive, string archiveTar, string target, CancellationToken ct)
    {
        string configName;
        List<string> layerNames;
        using (var manifest = JsonDocument.Parse(await File.ReadAllBytesAsync(archive.PathOf("manifest.json"), ct)))
        {
            if (manifest.RootElement.ValueKind != JsonValueKind.Array || manifest.RootElement.GetArrayLength() != 1)
                throw new InvalidDataException(
                    $"'{archiveTar}' holds {(manifest.RootElement.ValueKind == JsonValueKind.Array ? manifest.RootElement.GetArrayLength() : 0)} images; " +
                    "save exactly one image (`docker save <one image>`).");
            var entry = manifest.RootElement[0];
            configName = entry.GetProperty("Config").GetString()
                         ?? throw new InvalidDataException($"'{archiveTar}': manifest.json names no Config.");
            layerNames = entry.GetProperty("Layers").EnumerateArray().Select(layer => layer.GetString()!).ToList();
        }

        var configBytes = await File.ReadAllBytesAsync(archive.PathOf(configName), ct);
        var diffIds = ReadDiffIds(configBytes, archiveTar);
        if (diffIds.Count != layerNames.Count)
            throw new InvalidDataException($"'{archiveTar}': the config lists {diffIds.Count} diff_ids but manifest.json lists {layerNames.Count} layers.");

        using var writer = new OciLayoutWriter(target);
        var config = await writer.AddBlobAsync(configBytes, OciMediaTypes.ImageConfig, ct);
        var layers = new List<OciDescriptor>(layerNames.Count);
        for (var i = 0; i < layerNames.Count; i++)
        {
            var layerPath = archive.PathOf(layerNames[i]);
            string diffId;
            OciDescriptor layer;
            if (OciLayer.IsGzip(layerPath))
            {
                diffId = await OciLayer.DiffIdOfGzipAsync(layerPath, ct);
                layer = await writer.AddBlobFromFileAsync(layerPath, OciMediaTypes.LayerTarGzip, ct);
            }
            else
            {
                var gzipped = await OciLayer.GzipDeterministicAsync(layerPath, layerPath + ".gz", ct);
                diffId = gzipped.DiffId;
                layer = await writer.AddBlobFromFileAsync(gzipped.Path, OciMediaTypes.LayerTarGzip, ct);
            }
            if (diffId != diffIds[i])
                throw new InvalidDataException($"'{archiveTar}': layer {layerNames[i]} has diff_id {diffId} but the config expects {diffIds[i]} (corrupt archive).");
            layers.Add(layer);
        }
        return await writer.CommitAsync(OciJson.ImageManifest(config, layers, null), OciMediaTypes.ImageManifest, ct);
    }

    private static List<string> ReadDiffIds(byte[] config, string archiveTar)
    {
        try
        {
            using var document = JsonDocument.Parse(config);
            return document.RootElement.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(id => id.GetString()!).ToList();
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"'{archiveTar}': the image config has no rootfs.diff_ids ({exception.Message}).", exception);
        }
    }

    /// <summary>An archive extracted to disk; names are archive paths ("blobs/sha256/…", "&lt;id&gt;/layer.tar"), symlinks resolved inside the archive.</summary>
    private sealed class ArchiveContent
    {
        private readonly string root;
        private readonly Dictionary<string, string> links = new(StringComparer.Ordinal);

        private ArchiveContent(string root) => this.root = root;

        public static async Task<ArchiveContent> ExtractAsync(string archiveTar, string destination, CancellationToken ct)
        {
            System.IO.Directory.CreateDirectory(destination);
            var content = new ArchiveContent(destination);
            await using var file = File.OpenRead(archiveTar);
            await using Stream tar = OciLayer.IsGzip(archiveTar) ? new GZipStream(file, CompressionMode.Decompress) : file;
            await using var reader = new TarReader(tar);
            while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
            {
                var name = Normalize(entry.Name, archiveTar);
                if (name.Length == 0) continue;
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        System.IO.Directory.CreateDirectory(Path.Combine(destination, name));
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        var path = Path.Combine(destination, name);
                        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                        await using (var output = File.Create(path))
                            if (entry.DataStream is not null) await entry.DataStream.CopyToAsync(output, ct);
                        break;
                    case TarEntryType.SymbolicLink:
                        // Older docker-archives link duplicate layers: "<id>/layer.tar -> ../<other>/layer.tar".
                        var directory = Path.GetDirectoryName(name) ?? "";
                        content.links[name] = Normalize(Path.Combine(directory, entry.LinkName), archiveTar);
                        break;
                    case TarEntryType.HardLink:
                        content.links[name] = Normalize(entry.LinkName, archiveTar);
                        break;
                }
            }
            return content;
        }

        public bool Exists(string name) => File.Exists(PathOrNull(name) ?? "");

        public string PathOf(string name) =>
            PathOrNull(name) is { } path && File.Exists(path)
                ? path
                : throw new InvalidDataException($"The image archive lacks '{name}'.");

        private string? PathOrNull(string name)
        {
            var current = Normalize(name, "archive");
            for (var hops = 0; links.TryGetValue(current, out var next); hops++)
            {
                if (hops > 16) return null;
                current = next;
            }
            return Path.Combine(root, current);
        }

        // Archive names are relative paths; anything escaping the archive root is refused.
        private static string Normalize(string name, string archiveTar)
        {
            var parts = new List<string>();
            foreach (var part in name.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (part == ".") continue;
                if (part == "..")
                {
                    if (parts.Count == 0) throw new InvalidDataException($"'{archiveTar}' has an entry escaping the archive: '{name}'.");
                    parts.RemoveAt(parts.Count - 1);
                    continue;
                }
                parts.Add(part);
            }
            if (name.StartsWith('/') && parts.Count > 0 && name.Length > 1)
                throw new InvalidDataException($"'{archiveTar}' has an absolute entry name: '{name}'.");
            return string.Join('/', parts);
        }
    }
}
