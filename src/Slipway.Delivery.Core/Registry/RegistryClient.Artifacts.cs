using System.Net;
using Slipway.Delivery.Oci;

namespace Slipway.Delivery.Registry;

/// <summary>A blob held in memory, to push beside a manifest: small artifacts such as signatures and attestations.</summary>
public sealed record RegistryBlob(OciDescriptor Descriptor, byte[] Content)
{
    public static RegistryBlob Of(string mediaType, byte[] content) =>
        new(new OciDescriptor(mediaType, Sha256Digest.Of(content), content.LongLength), content);
}

/// <summary>A manifest as the registry served it: its exact bytes, media type and digest (the sha256 of the bytes).</summary>
public sealed record RegistryManifest(byte[] Content, string MediaType, string Digest);

// Arbitrary manifests and small blobs by tag: what signatures and attestations (cosign's sha256-<hex>.sig/.att tags) need.
public sealed partial class RegistryClient
{
    /// <summary>
    /// Pushes the blobs the repository lacks (from memory), then <paramref name="manifest"/> as it is under <paramref name="tag"/>.
    /// The registry must store it under the digest of these bytes. Returns the manifest by digest.
    /// </summary>
    public async Task<ImageReference> PushManifestAsync(ImageReference repository, string tag, byte[] manifest, string mediaType,
                                                         IReadOnlyList<RegistryBlob> blobs, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(blobs);
        var name = repository.WithoutTagOrDigest();
        var tagged = name.WithTag(tag);   // validates the tag before any traffic
        foreach (var blob in blobs.DistinctBy(blob => blob.Descriptor.Digest))
        {
            if (Sha256Digest.Of(blob.Content) != blob.Descriptor.Digest || blob.Content.LongLength != blob.Descriptor.Size)
                throw new ArgumentException($"blob {blob.Descriptor.Digest} does not match its content.", nameof(blobs));
            if (!await BlobExistsAsync(name, blob.Descriptor.Digest, ct))
                await UploadBlobAsync(name, () => new MemoryStream(blob.Content, writable: false), blob.Descriptor, mountFrom: null, ct);
            RememberBlob(name, blob.Descriptor.Digest);
        }
        var descriptor = new OciDescriptor(mediaType, Sha256Digest.Of(manifest), manifest.LongLength);
        await PutManifestAsync(tagged, manifest, descriptor, ct);
        return name.WithDigest(descriptor.Digest);
    }

    /// <summary>The manifest a tag or digest names, bytes as served (checked against the digest when asked by digest); null when absent.</summary>
    public async Task<RegistryManifest?> FindManifestAsync(ImageReference reference, CancellationToken ct = default)
    {
        // HEAD first, so an absent tag is a null and never an error; then the existing GET, which verifies the bytes.
        if (await HeadManifestDigestAsync(reference, ct) is null) return null;
        var (content, mediaType, digest) = await GetManifestAsync(reference, reference.ManifestReference, ct);
        return new RegistryManifest(content, mediaType, digest);
    }

    /// <summary>A blob of the repository in memory, verified against its digest. For small blobs: payloads, envelopes, configs.</summary>
    public async Task<byte[]> GetBlobAsync(ImageReference repository, string digest, CancellationToken ct = default)
    {
        Sha256Digest.Hex(digest);   // a clear error for anything but a sha256 digest
        var bytes = await ExecuteAsync(repository.Registry, async token =>
        {
            var uri = new Uri(Endpoint(repository.Registry), $"/v2/{repository.Repository}/blobs/{digest}");
            using var response = await SendAsync(repository, () => new HttpRequestMessage(HttpMethod.Get, uri), token);
            await EnsureSuccessAsync(repository.Registry, $"downloading blob {digest} of {repository.Repository}", response, token);
            return await response.Content.ReadAsByteArrayAsync(token);
        }, ct);
        if (Sha256Digest.Of(bytes) != digest)
            throw new InvalidDataException($"registry {repository.Registry} served a blob of {repository.Repository} that does not hash to {digest}.");
        return bytes;
    }

    /// <summary>
    /// Whether the registry implements the OCI 1.1 referrers API (GET /v2/&lt;name&gt;/referrers/&lt;digest&gt; answers 200).
    /// CNCF distribution 2.8 (Debian's docker-registry) does not: it answers 404, and signatures then live under tags.
    /// </summary>
    public async Task<bool> SupportsReferrersAsync(ImageReference byDigest, CancellationToken ct = default)
    {
        var digest = byDigest.Digest ?? throw new ArgumentException($"{byDigest} names no digest.", nameof(byDigest));
        return await ExecuteAsync(byDigest.Registry, async token =>
        {
            var uri = new Uri(Endpoint(byDigest.Registry), $"/v2/{byDigest.Repository}/referrers/{digest}");
            using var response = await SendAsync(byDigest, () => new HttpRequestMessage(HttpMethod.Get, uri), token);
            if (RegistryResponses.IsTransient(response.StatusCode))
                await EnsureSuccessAsync(byDigest.Registry, $"asking for the referrers of {byDigest}", response, token);
            return response.StatusCode == HttpStatusCode.OK;
        }, ct);
    }
}
