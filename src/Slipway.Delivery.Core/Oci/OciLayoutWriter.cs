namespace Slipway.Delivery.Oci;

/// <summary>
/// Builds a layout in a staging directory beside the target and moves it into place only when complete,
/// so a failed build never leaves a half-written layout and an existing good one survives until replaced.
/// </summary>
internal sealed class OciLayoutWriter : IDisposable
{
    private readonly string target;
    private readonly string staging;
    private bool committed;

    public OciLayoutWriter(string directory)
    {
        target = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        if (System.IO.Directory.Exists(target)
            && System.IO.Directory.EnumerateFileSystemEntries(target).Any()
            && !File.Exists(Path.Combine(target, "oci-layout")))
            throw new IOException($"Directory '{target}' exists, is not empty and is not an OCI image layout; choose an empty or new directory for the layout.");
        var parent = Path.GetDirectoryName(target) ?? throw new IOException($"'{target}' cannot hold an OCI layout (no parent directory).");
        System.IO.Directory.CreateDirectory(parent);
        staging = Path.Combine(parent, $".{Path.GetFileName(target)}.staging-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(BlobDirectory);
    }

    private string BlobDirectory => Path.Combine(staging, "blobs", "sha256");

    public string StagingBlobPath(string digest) => Path.Combine(BlobDirectory, Sha256Digest.Hex(digest));

    public async Task<OciDescriptor> AddBlobAsync(byte[] content, string mediaType, CancellationToken cancellationToken)
    {
        var digest = Sha256Digest.Of(content);
        await File.WriteAllBytesAsync(StagingBlobPath(digest), content, cancellationToken);
        return new OciDescriptor(mediaType, digest, content.LongLength);
    }

    /// <summary>Copies a stream into the blob store while hashing it; when <paramref name="expectedDigest"/> is given a mismatch is an error.</summary>
    public async Task<OciDescriptor> AddBlobAsync(Stream content, string mediaType, string? expectedDigest, CancellationToken cancellationToken)
    {
        var temporary = Path.Combine(BlobDirectory, $".incoming-{Guid.NewGuid():N}");
        string digest;
        long size;
        try
        {
            await using var file = File.Create(temporary);
            await using var hashing = new HashingWriteStream(file);
            await content.CopyToAsync(hashing, cancellationToken);
            digest = hashing.Digest();
            size = hashing.BytesWritten;
        }
        catch
        {
            File.Delete(temporary);   // an interrupted download leaves nothing behind; a retry starts afresh
            throw;
        }
        if (expectedDigest is not null && digest != expectedDigest)
        {
            File.Delete(temporary);
            throw new InvalidDataException($"Blob content has digest {digest} but {expectedDigest} was expected; the source is corrupt or was changed while reading.");
        }
        File.Move(temporary, StagingBlobPath(digest), overwrite: true);
        return new OciDescriptor(mediaType, digest, size);
    }

    public async Task<OciDescriptor> AddBlobFromFileAsync(string path, string mediaType, CancellationToken cancellationToken)
    {
        await using var source = File.OpenRead(path);
        return await AddBlobAsync(source, mediaType, null, cancellationToken);
    }

    /// <summary>Writes the manifest, index.json and oci-layout, then moves the staged layout onto the target directory.</summary>
    public async Task<OciImageLayout> CommitAsync(byte[] manifest, string manifestMediaType, CancellationToken cancellationToken)
    {
        var descriptor = await AddBlobAsync(manifest, manifestMediaType, cancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(staging, "index.json"), OciJson.Index(descriptor), cancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(staging, "oci-layout"), OciJson.LayoutMarker(), cancellationToken);

        // Validate before replacing anything: a bad layout never displaces a good one.
        OciImageLayout.Open(staging);

        string? previous = null;
        if (System.IO.Directory.Exists(target))
        {
            previous = staging.Replace(".staging-", ".previous-", StringComparison.Ordinal);
            System.IO.Directory.Move(target, previous);
        }
        System.IO.Directory.Move(staging, target);
        committed = true;
        if (previous is not null) System.IO.Directory.Delete(previous, recursive: true);
        return OciImageLayout.Open(target);
    }

    public void Dispose()
    {
        if (!committed && System.IO.Directory.Exists(staging))
            System.IO.Directory.Delete(staging, recursive: true);
    }
}
