using System.IO.Compression;
using System.Security.Cryptography;

namespace Slipway.Delivery.Oci;

/// <summary>A layer compressed for a layout: the .tar.gz file, its digest and size (what the manifest lists) and the diff_id (what the config lists).</summary>
public sealed record GzippedLayer(string Path, string Digest, long Size, string DiffId)
{
    public OciDescriptor Descriptor => new(OciMediaTypes.LayerTarGzip, Digest, Size);
}

/// <summary>Helpers for callers that build image layers from tar files.</summary>
public static class OciLayer
{
    /// <summary>
    /// Gzips a tar deterministically: the gzip header carries no file name and mtime 0, so the same tar gives the
    /// same bytes (and digest) on every run of the same runtime and level. Returns the layer's digest, size and diff_id.
    /// </summary>
    public static Task<GzippedLayer> GzipDeterministicAsync(string tarPath, string gzPath, CancellationToken cancellationToken = default) =>
        GzipDeterministicAsync(tarPath, gzPath, CompressionLevel.Optimal, cancellationToken);

    /// <summary>As above at a chosen level: Fastest trades size for speed (a different, equally stable digest).</summary>
    public static async Task<GzippedLayer> GzipDeterministicAsync(string tarPath, string gzPath, CompressionLevel level,
                                                                 CancellationToken cancellationToken = default)
    {
        if (!File.Exists(tarPath))
            throw new FileNotFoundException($"Layer tar '{tarPath}' does not exist.", tarPath);
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(gzPath))!);

        using var diffIdHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        string digest;
        long size;
        await using (var source = File.OpenRead(tarPath))
        await using (var target = File.Create(gzPath))
        await using (var hashing = new HashingWriteStream(target))
        {
            // .NET's GZipStream writes a fixed header (no name, mtime 0), which is what makes this deterministic.
            await using (var gzip = new GZipStream(hashing, level, leaveOpen: true))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    diffIdHash.AppendData(buffer, 0, read);
                    await gzip.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }
            digest = hashing.Digest();
            size = hashing.BytesWritten;
        }
        return new GzippedLayer(gzPath, digest, size, Sha256Digest.Prefix + Convert.ToHexStringLower(diffIdHash.GetCurrentHash()));
    }

    /// <summary>The diff_id of a layer: sha256 of the uncompressed tar, as the image config's rootfs.diff_ids lists it.</summary>
    public static Task<string> DiffIdAsync(string tarPath, CancellationToken cancellationToken = default) =>
        Sha256Digest.OfFileAsync(tarPath, cancellationToken);

    /// <summary>The diff_id of a gzipped layer: sha256 of its decompressed content.</summary>
    public static async Task<string> DiffIdOfGzipAsync(string gzPath, CancellationToken cancellationToken = default)
    {
        await using var file = File.OpenRead(gzPath);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        return await Sha256Digest.OfStreamAsync(gzip, cancellationToken);
    }

    /// <summary>Whether a file starts with the gzip magic bytes.</summary>
    public static bool IsGzip(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        return file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }
}
