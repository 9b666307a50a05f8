using System.Formats.Tar;
using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Models;
using Slipway.Delivery.Oci;

namespace Slipway.Delivery.Images;

/// <summary>Loads an OCI layout into the Docker engine by writing it as a docker-archive (what <c>docker load</c> reads on every engine version).</summary>
public static class DockerArchive
{
    /// <summary>Loads <paramref name="layout"/> under <paramref name="repoTags"/>; returns the local image id (the config digest).</summary>
    public static async Task<string> LoadAsync(DockerClient docker, OciImageLayout layout, IReadOnlyList<string> repoTags, string workDirectory,
                                               Serilog.ILogger log, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(workDirectory);
        var archivePath = Path.Combine(workDirectory, "docker-archive.tar");
        await WriteAsync(layout, repoTags, archivePath, cancellationToken);
        try
        {
            var progress = new DockerProgress(log, "load");
            await using (var archive = File.OpenRead(archivePath))
                await docker.Images.LoadImageAsync(new ImageLoadParameters { Quiet = false }, archive, progress, cancellationToken);
            progress.ThrowIfFailed($"Loading {layout.Manifest.Digest} into the Docker engine");
        }
        finally
        {
            File.Delete(archivePath);
        }

        var imageId = layout.Config.Digest;
        var inspected = await docker.Images.InspectImageAsync(imageId, cancellationToken);
        log.Information("Loaded into the Docker engine as {ImageId} ({Tags})", inspected.ID, string.Join(", ", inspected.RepoTags ?? []));
        return inspected.ID;
    }

    /// <summary>Writes a docker-archive (manifest.json + config + layers) for the layout's image.</summary>
    public static async Task WriteAsync(OciImageLayout layout, IReadOnlyList<string> repoTags, string archivePath, CancellationToken cancellationToken = default)
    {
        static string Hex(string digest) => digest["sha256:".Length..];
        var configName = Hex(layout.Config.Digest) + ".json";
        var layerNames = layout.Layers.Select(layer => Hex(layer.Digest) + "/layer.tar").ToList();
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new[]
        {
            new Dictionary<string, object> { ["Config"] = configName, ["RepoTags"] = repoTags, ["Layers"] = layerNames },
        });

        await using var output = File.Create(archivePath);
        await using var writer = new TarWriter(output, TarEntryFormat.Gnu);
        await writer.WriteEntryAsync(new GnuTarEntry(TarEntryType.RegularFile, "manifest.json") { DataStream = new MemoryStream(manifest) }, cancellationToken);
        await writer.WriteEntryAsync(layout.BlobPath(layout.Config.Digest), configName, cancellationToken);
        for (var index = 0; index < layout.Layers.Count; index++)
            // Compressed layers are fine: docker load decompresses what it reads.
            await writer.WriteEntryAsync(layout.BlobPath(layout.Layers[index].Digest), layerNames[index], cancellationToken);
    }
}
