using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Slipway.Delivery.Oci;

namespace Slipway.Delivery.Images;

/// <summary>
/// Turns the SDK's image archive into an OCI layout whose digest depends only on the inputs and the commit time:
/// the config's 'created' and the SDK's history entries become the commit time, and the SDK's application layer is
/// rewritten with entries sorted by name, every timestamp set to the commit time, and no pax headers (which carry the
/// writer's process id). The base image's layers are kept as they are.
/// </summary>
internal static class ReproducibleSdkImage
{
    private const string SdkHistoryAuthor = ".NET SDK";

    public static async Task<OciImageLayout> ToLayoutAsync(string sdkArchive, string workDirectory, string layoutDirectory, DateTimeOffset commitTime,
                                                           CancellationToken cancellationToken)
    {
        var extracted = Path.Combine(workDirectory, "extracted");
        Recreate(extracted);
        await TarFile.ExtractToDirectoryAsync(sdkArchive, extracted, overwriteFiles: true, cancellationToken);

        var (configPath, layerPaths) = await ImageArchiveFiles(sdkArchive, extracted, cancellationToken);

        var config = JsonNode.Parse(await File.ReadAllBytesAsync(configPath, cancellationToken))!.AsObject();
        var created = commitTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        config["created"] = created;
        var history = config["history"]?.AsArray() ?? [];
        var sdkEntries = history.Where(entry => (string?)entry?["author"] == SdkHistoryAuthor).ToList();
        if (sdkEntries.Count != 1 || history[^1] != sdkEntries[0])
            throw new ImageBuildException("The SDK archive's history does not end with exactly one '.NET SDK' layer; this SDK version's image shape is not supported.");
        foreach (var entry in sdkEntries) entry!["created"] = created;

        var diffIds = config["rootfs"]!["diff_ids"]!.AsArray();
        var compressedLayers = new List<string>();
        for (var index = 0; index < layerPaths.Count; index++)
        {
            var target = Path.Combine(workDirectory, $"layer-{index}.tar.gz");
            if (index == layerPaths.Count - 1)
                diffIds[index] = await RewriteLayerAsync(layerPaths[index], target, commitTime, cancellationToken);
            else
                await EnsureGzipAsync(layerPaths[index], target, cancellationToken);
            compressedLayers.Add(target);
        }

        var configBytes = Encoding.UTF8.GetBytes(config.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        var layout = await OciImageLayout.CreateAsync(layoutDirectory, configBytes, compressedLayers, ct: cancellationToken);
        Directory.Delete(extracted, recursive: true);
        foreach (var layer in compressedLayers) File.Delete(layer);
        return layout;
    }

    /// <summary>
    /// The config and layer files of the one image in an extracted archive. The SDK writes a docker-archive
    /// (manifest.json) when the base is a Docker v2 image and an OCI layout (index.json) when the base is an OCI image.
    /// </summary>
    private static async Task<(string Config, List<string> Layers)> ImageArchiveFiles(string archive, string extracted, CancellationToken cancellationToken)
    {
        var dockerManifest = Path.Combine(extracted, "manifest.json");
        if (File.Exists(dockerManifest))
        {
            var images = JsonNode.Parse(await File.ReadAllTextAsync(dockerManifest, cancellationToken))!.AsArray();
            if (images.Count != 1)
                throw new ImageBuildException($"The SDK archive {archive} holds {images.Count} images; expected exactly one.");
            return (Path.Combine(extracted, (string)images[0]!["Config"]!),
                    images[0]!["Layers"]!.AsArray().Select(layer => Path.Combine(extracted, (string)layer!)).ToList());
        }

        var indexPath = Path.Combine(extracted, "index.json");
        if (!File.Exists(indexPath))
            throw new ImageBuildException($"The SDK archive {archive} is neither a docker-archive nor an OCI layout (it holds " +
                $"{string.Join(", ", Directory.EnumerateFileSystemEntries(extracted).Select(Path.GetFileName))}).");
        string Blob(string digest) => Path.Combine(extracted, "blobs", "sha256", digest["sha256:".Length..]);
        var index = JsonNode.Parse(await File.ReadAllTextAsync(indexPath, cancellationToken))!;
        // One entry per tag, all naming the same manifest.
        var manifests = index["manifests"]!.AsArray().Select(entry => (string)entry!["digest"]!).Distinct().ToList();
        if (manifests.Count != 1)
            throw new ImageBuildException($"The SDK archive {archive} holds {manifests.Count} image manifests; expected exactly one (a single runtime identifier).");
        var manifest = JsonNode.Parse(await File.ReadAllBytesAsync(Blob(manifests[0]), cancellationToken))!;
        return (Blob((string)manifest["config"]!["digest"]!),
                manifest["layers"]!.AsArray().Select(layer => Blob((string)layer!["digest"]!)).ToList());
    }

    /// <summary>Rewrites one layer deterministically; returns its diff id (sha256 of the uncompressed tar).</summary>
    internal static async Task<string> RewriteLayerAsync(string source, string gzipTarget, DateTimeOffset time, CancellationToken cancellationToken)
    {
        var entries = new List<(TarEntry Entry, byte[]? Data)>();
        await using (var input = await OpenMaybeGzipAsync(source, cancellationToken))
        await using (var reader = new TarReader(input))
        {
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                byte[]? data = null;
                if (entry.DataStream is not null)
                {
                    using var buffer = new MemoryStream();
                    await entry.DataStream.CopyToAsync(buffer, cancellationToken);
                    data = buffer.ToArray();
                }
                entries.Add((entry, data));
            }
        }

        var plainTar = gzipTarget + ".plain";
        await using (var output = File.Create(plainTar))
        await using (var writer = new TarWriter(output, TarEntryFormat.Gnu, leaveOpen: false))
        {
            foreach (var (entry, data) in entries.OrderBy(e => e.Entry.Name.TrimStart('.', '/'), StringComparer.Ordinal))
            {
                var copy = new GnuTarEntry(entry.EntryType, entry.Name)
                {
                    ModificationTime = time,
                    AccessTime = time,
                    ChangeTime = time,
                    Mode = entry.Mode,
                    Uid = entry.Uid,
                    Gid = entry.Gid,
                    UserName = (entry as PosixTarEntry)?.UserName ?? "",
                    GroupName = (entry as PosixTarEntry)?.GroupName ?? "",
                };
                if (entry.EntryType is TarEntryType.SymbolicLink or TarEntryType.HardLink) copy.LinkName = entry.LinkName;
                if (data is not null) copy.DataStream = new MemoryStream(data, writable: false);
                await writer.WriteEntryAsync(copy, cancellationToken);
            }
        }

        var layer = await OciLayer.GzipDeterministicAsync(plainTar, gzipTarget, cancellationToken);
        File.Delete(plainTar);
        return layer.DiffId;
    }

    private static async Task EnsureGzipAsync(string source, string gzipTarget, CancellationToken cancellationToken)
    {
        if (await IsGzipAsync(source, cancellationToken)) { File.Copy(source, gzipTarget, overwrite: true); return; }
        await using var input = File.OpenRead(source);
        await using var target = File.Create(gzipTarget);
        await using var gzip = new GZipStream(target, CompressionLevel.Optimal);
        await input.CopyToAsync(gzip, cancellationToken);
    }

    private static async Task<Stream> OpenMaybeGzipAsync(string path, CancellationToken cancellationToken) =>
        await IsGzipAsync(path, cancellationToken) ? new GZipStream(File.OpenRead(path), CompressionMode.Decompress) : File.OpenRead(path);

    private static async Task<bool> IsGzipAsync(string path, CancellationToken cancellationToken)
    {
        var magic = new byte[2];
        await using var stream = File.OpenRead(path);
        return await stream.ReadAtLeastAsync(magic, 2, throwOnEndOfStream: false, cancellationToken) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    private static void Recreate(string directory)
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        Directory.CreateDirectory(directory);
    }
}
