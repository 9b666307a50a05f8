using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;
using Polly;
using Polly.Retry;
using Slipway.Delivery.Oci;
using ILogger = Serilog.ILogger;

namespace Slipway.Delivery.Registry;

/// <summary>Outcome of a push: the image by digest, whether the registry already held it, and what was uploaded.</summary>
public sealed record PushResult(ImageReference Pushed, bool AlreadyPresent, int BlobsUploaded, long BytesUploaded)
{
    /// <summary>Blobs the registry linked from another of its repositories (cross-repository mount) instead of receiving them.</summary>
    public int BlobsMounted { get; init; }
}

/// <summary>
/// A client of the OCI distribution API v2 over HttpClient: push and pull of <see cref="OciImageLayout"/>s, tags and
/// digests. Transient failures (connection refused, timeouts, 5xx, 429) are retried with exponential backoff (Polly),
/// then reported as <see cref="RegistryUnavailableException"/>. Loopback registries are spoken to over http, others over https.
/// Credentials come from <c>credentials</c> (default: ~/.docker/config.json and its credential helpers, see
/// <see cref="DockerConfigCredentials.FindAsync"/>); neither they nor Authorization headers are logged.
/// </summary>
public sealed partial class RegistryClient : IDisposable
{
    private static readonly string[] ManifestAccept =
        [OciMediaTypes.ImageManifest, OciMediaTypes.DockerManifest, OciMediaTypes.ImageIndex, OciMediaTypes.DockerManifestList];

    private readonly ILogger log;
    private readonly HttpClient http;
    private readonly RegistryAuthenticator authenticator;
    private readonly RegistryRetryOptions retry;
    private readonly ResiliencePipeline pipeline;
    // "registry|digest" -> a repository this client saw holding the blob; lets a push mount instead of upload.
    private readonly ConcurrentDictionary<string, string> blobLocations = new(StringComparer.Ordinal);
    private readonly HashSet<string> plainHttpRegistries;

    /// <param name="plainHttpRegistries">Registries (host[:port]) beyond loopback to speak plain http to, like Docker's "insecure-registries".</param>
    public RegistryClient(ILogger log, Func<string, RegistryCredentials?>? credentials = null,
                          HttpMessageHandler? handler = null, RegistryRetryOptions? retry = null,
                          IReadOnlyCollection<string>? plainHttpRegistries = null)
    {
        this.log = log.ForContext<RegistryClient>();
        this.plainHttpRegistries = new HashSet<string>(plainHttpRegistries ?? [], StringComparer.OrdinalIgnoreCase);
        this.retry = retry ?? RegistryRetryOptions.Default;
        http = new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = this.retry.ConnectTimeout }, disposeHandler: handler is null)
        {
            Timeout = this.retry.RequestTimeout,
        };
        authenticator = new RegistryAuthenticator(http, credentials is null
            ? (host, ct) => DockerConfigCredentials.FindAsync(host, ct: ct)
            : (host, _) => Task.FromResult(credentials(host)));
        pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                // Polly needs at least one retry; with MaxRetryAttempts 0 ShouldHandle below declines every retry.
                MaxRetryAttempts = Math.Max(1, this.retry.MaxRetryAttempts),
                ShouldHandle = arguments => ValueTask.FromResult(this.retry.MaxRetryAttempts > 0
                    && arguments.Outcome.Exception is { } exception && IsTransient(exception, arguments.Context.CancellationToken)),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = this.retry.BaseDelay,
                MaxDelay = this.retry.MaxDelay,
                OnRetry = arguments =>
                {
                    this.log.Warning("Registry request failed ({Problem}); retry {Attempt} of {Attempts} in {Delay:0.0}s",
                        Describe(arguments.Outcome.Exception!), arguments.AttemptNumber + 1, this.retry.MaxRetryAttempts,
                        arguments.RetryDelay.TotalSeconds);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>
    /// Pushes the blobs the registry lacks, then the manifest under each tag (by digest when no tag is given); uploads
    /// nothing when the registry already holds the manifest digest, but still (re)tags. Verifies afterwards that the
    /// manifest is served by digest with the same digest. Returns the reference by digest.
    /// </summary>
    public async Task<PushResult> PushAsync(OciImageLayout image, ImageReference repository, IReadOnlyList<string> tags, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(tags);
        var name = repository.WithoutTagOrDigest();
        var byDigest = name.WithDigest(image.Manifest.Digest);
        var tagged = tags.Distinct(StringComparer.Ordinal).Select(tag => name.WithTag(tag)).ToList();   // validates tags before any traffic

        var alreadyPresent = await HasManifestAsync(byDigest, ct);
        var uploaded = 0;
        var mounted = 0;
        long bytes = 0;
        if (alreadyPresent)
        {
            log.Information("Registry already holds {Image}; nothing to upload", byDigest.ToString());
        }
        else
        {
            foreach (var blob in image.Blobs.DistinctBy(blob => blob.Digest))
            {
                if (await BlobExistsAsync(name, blob.Digest, ct))
                {
                    log.Debug("Blob {Digest} already in {Repository}", blob.Digest, name.ToString());
                }
                else if (await UploadBlobAsync(name, OpenFile(image.BlobPath(blob.Digest)), blob, MountSource(name, blob.Digest), ct))
                {
                    mounted++;
                }
                else
                {
                    uploaded++;
                    bytes += blob.Size;
                }
                RememberBlob(name, blob.Digest);
            }
        }

        var manifest = image.ReadManifestBytes();
        if (tagged.Count == 0 && !alreadyPresent)
            await PutManifestAsync(byDigest, manifest, image.Manifest, ct);
        foreach (var reference in tagged)
            await PutManifestAsync(reference, manifest, image.Manifest, ct);

        // Verify by content: GET the manifest by digest; GetManifestAsync checks the served bytes hash to that digest.
        var (_, _, served) = await GetManifestAsync(byDigest, image.Manifest.Digest, ct);
        if (served != image.Manifest.Digest)
            throw new InvalidOperationException(
                $"registry {name.Registry} serves {served} for {byDigest} after the push; check the registry's storage and logs.");

        foreach (var blob in image.Blobs) RememberBlob(name, blob.Digest);
        log.Information("Pushed {Image} ({Blobs} blobs, {Bytes} bytes uploaded, {Mounted} mounted{Tags})", byDigest.ToString(), uploaded, bytes,
            mounted, tagged.Count == 0 ? "" : ", tags " + string.Join(", ", tags));
        return new PushResult(byDigest, alreadyPresent, uploaded, bytes) { BlobsMounted = mounted };
    }

    public async Task<bool> HasManifestAsync(ImageReference byDigest, CancellationToken ct = default) =>
        await HeadManifestDigestAsync(byDigest, ct) is not null;

    /// <summary>The repository's tags (following pagination); empty when the repository does not exist.</summary>
    public Task<IReadOnlyList<string>> ListTagsAsync(ImageReference repository, CancellationToken ct = default) =>
        ListTagsAsync(repository, pageSize: null, ct);

    /// <summary>
    /// The repository's tags, asking for pages of at most <paramref name="pageSize"/> (<c>?n=</c>; null: the registry's own
    /// choice) and following the <c>Link: &lt;…&gt;; rel="next"</c> header from page to page.
    /// </summary>
    public async Task<IReadOnlyList<string>> ListTagsAsync(ImageReference repository, int? pageSize, CancellationToken ct = default)
    {
        if (pageSize is < 1) throw new ArgumentOutOfRangeException(nameof(pageSize), pageSize, "a page holds at least one tag");
        var tags = new List<string>();
        var next = new Uri(Endpoint(repository.Registry), $"/v2/{repository.Repository}/tags/list");
        if (pageSize is { } size) next = WithQuery(next, "n=" + size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        while (next is not null)
        {
            var page = next;
            (var pageTags, next) = await ExecuteAsync(repository.Registry, async token =>
            {
                using var response = await SendAsync(repository, () => new HttpRequestMessage(HttpMethod.Get, page), token);
                if (response.StatusCode == HttpStatusCode.NotFound) return (new List<string>(), (Uri?)null);
                await EnsureSuccessAsync(repository.Registry, $"listing tags of {repository.Repository}", response, token);
                using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(token));
                var found = document.RootElement.TryGetProperty("tags", out var array) && array.ValueKind == JsonValueKind.Array
                    ? array.EnumerateArray().Select(tag => tag.GetString()!).ToList()
                    : [];
                return (found, NextPage(page, response));
            }, ct);
            tags.AddRange(pageTags);
        }
        return tags;
    }

    /// <summary>The digest the registry serves for a tag (HEAD manifest, Docker-Content-Digest), or null when the tag does not exist.</summary>
    public Task<string?> ResolveDigestAsync(ImageReference byTag, CancellationToken ct = default) => HeadManifestDigestAsync(byTag, ct);

    /// <summary>
    /// The labels of an image's config (by tag or digest; from a multi-platform index, this machine's linux image), e.g. the
    /// org.opencontainers.image.revision a build stamped; empty when the config has none. Reads the manifest and the config blob only.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> GetImageLabelsAsync(ImageReference reference, CancellationToken ct = default)
    {
        var (manifest, mediaType, _) = await GetManifestAsync(reference, reference.ManifestReference, ct);
        if (OciMediaTypes.IsIndex(mediaType))
        {
            var chosen = OciPlatform.Choose(manifest)
                ?? throw new InvalidOperationException($"{reference} is a multi-platform index without a linux/{OciPlatform.Architecture} image.");
            (manifest, mediaType, _) = await GetManifestAsync(reference, chosen.Digest, ct);
        }
        if (!OciMediaTypes.IsImageManifest(mediaType))
            throw new InvalidOperationException($"{reference} is a '{mediaType}', not an image manifest.");
        var (config, _, _) = OciJson.ParseImageManifest(manifest, $"manifest of {reference}");
        var bytes = await ExecuteAsync(reference.Registry, async token =>
        {
            var uri = new Uri(Endpoint(reference.Registry), $"/v2/{reference.Repository}/blobs/{config.Digest}");
            using var response = await SendAsync(reference, () => new HttpRequestMessage(HttpMethod.Get, uri), token);
            await EnsureSuccessAsync(reference.Registry, $"downloading the config {config.Digest} of {reference}", response, token);
            return await response.Content.ReadAsByteArrayAsync(token);
        }, ct);
        if (Sha256Digest.Of(bytes) != config.Digest)
            throw new InvalidDataException($"registry {reference.Registry} served a config for {reference} that does not hash to {config.Digest}.");
        using var document = JsonDocument.Parse(bytes);
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (document.RootElement.TryGetProperty("config", out var runConfig) && runConfig.ValueKind == JsonValueKind.Object &&
            runConfig.TryGetProperty("Labels", out var found) && found.ValueKind == JsonValueKind.Object)
        {
            foreach (var label in found.EnumerateObject())
                if (label.Value.ValueKind == JsonValueKind.String) labels[label.Name] = label.Value.GetString()!;
        }
        return labels;
    }

    /// <summary>Whether GET /v2/ answers like a distribution registry (200, or 401 with a challenge). One attempt, no retries.</summary>
    public async Task<bool> IsRegistryAsync(string registryHost, CancellationToken ct = default)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(Endpoint(registryHost), "/v2/"), ct);
            return response.StatusCode == HttpStatusCode.OK
                   || response.Headers.Contains("Docker-Distribution-Api-Version")
                   || (response.StatusCode == HttpStatusCode.Unauthorized && response.Headers.WwwAuthenticate.Count > 0);
        }
        catch (Exception exception) when (IsTransient(exception, ct) || exception is HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>
    /// Pulls an image (by tag or digest; from a multi-platform index, this machine's linux image) into an OCI layout,
    /// keeping the manifest bytes so the digest is unchanged. A layout already in <paramref name="directory"/> holding the
    /// same manifest digest is reused without downloading anything.
    /// </summary>
    public async Task<OciImageLayout> PullAsync(ImageReference reference, string directory, CancellationToken ct = default)
    {
        if (reference.Digest is not null && ExistingLayout(directory, reference.Digest) is { } cached)
            return cached;
        var (manifest, mediaType, digest) = await GetManifestAsync(reference, reference.ManifestReference, ct);
        if (OciMediaTypes.IsIndex(mediaType))
        {
            var chosen = OciPlatform.Choose(manifest)
                ?? throw new InvalidOperationException($"{reference} is a multi-platform index without a linux/{OciPlatform.Architecture} image.");
            (manifest, mediaType, digest) = await GetManifestAsync(reference, chosen.Digest, ct);
        }
        if (!OciMediaTypes.IsImageManifest(mediaType))
            throw new InvalidOperationException($"{reference} is a '{mediaType}', not an image manifest Slipway can pull.");
        var (config, layers, _) = OciJson.ParseImageManifest(manifest, $"manifest of {reference}");
        if (ExistingLayout(directory, digest) is { } existing)
            return existing;

        using var writer = new OciLayoutWriter(directory);
        foreach (var blob in layers.Prepend(config).DistinctBy(blob => blob.Digest))
        {
            await ExecuteAsync(reference.Registry, async token =>
            {
                var uri = new Uri(Endpoint(reference.Registry), $"/v2/{reference.Repository}/blobs/{blob.Digest}");
                using var response = await SendAsync(reference, () => new HttpRequestMessage(HttpMethod.Get, uri), token, HttpCompletionOption.ResponseHeadersRead);
                await EnsureSuccessAsync(reference.Registry, $"downloading blob {blob.Digest} of {reference.Repository}", response, token);
                await using var content = await response.Content.ReadAsStreamAsync(token);
                return await writer.AddBlobAsync(content, blob.MediaType, blob.Digest, token);
            }, ct);
            RememberBlob(reference, blob.Digest);
        }
        var layout = await writer.CommitAsync(manifest, mediaType, ct);
        log.Information("Pulled {Image} into {Directory}", reference.WithDigest(digest).ToString(), layout.Directory);
        return layout;
    }

    public void Dispose() => http.Dispose();

    private OciImageLayout? ExistingLayout(string directory, string manifestDigest)
    {
        if (!File.Exists(Path.Combine(directory, "index.json"))) return null;
        try
        {
            var layout = OciImageLayout.Open(directory);
            if (layout.Manifest.Digest != manifestDigest) return null;
            log.Debug("{Directory} already holds {Digest}; not pulling", layout.Directory, manifestDigest);
            return layout;
        }
        catch (InvalidOciLayoutException)
        {
            return null;   // broken or foreign: pull replaces it
        }
    }

    // ---- manifests and blobs ----

    private async Task<string?> HeadManifestDigestAsync(ImageReference reference, CancellationToken ct)
    {
        var (found, digest) = await ExecuteAsync(reference.Registry, async token =>
        {
            var uri = ManifestUri(reference, reference.ManifestReference);
            using var response = await SendAsync(reference, () => ManifestRequest(HttpMethod.Head, uri), token);
            if (response.StatusCode == HttpStatusCode.NotFound) return (false, (string?)null);
            await EnsureSuccessAsync(reference.Registry, $"looking up manifest {reference}", response, token);
            return (true, response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.First() : null);
        }, ct);
        if (!found) return null;
        // Registries need not send Docker-Content-Digest on HEAD: then hash the manifest itself.
        return digest ?? (await GetManifestAsync(reference, reference.ManifestReference, ct)).Digest;
    }

    private async Task<(byte[] Manifest, string MediaType, string Digest)> GetManifestAsync(ImageReference reference, string manifestReference, CancellationToken ct) =>
        await ExecuteAsync(reference.Registry, async token =>
        {
            var uri = ManifestUri(reference, manifestReference);
            using var response = await SendAsync(reference, () => ManifestRequest(HttpMethod.Get, uri), token);
            await EnsureSuccessAsync(reference.Registry, $"fetching manifest {reference.WithoutTagOrDigest()}:{manifestReference}", response, token);
            var bytes = await response.Content.ReadAsByteArrayAsync(token);
            var digest = Sha256Digest.Of(bytes);
            if (manifestReference.StartsWith(Sha256Digest.Prefix, StringComparison.Ordinal) && digest != manifestReference)
                throw new InvalidDataException($"registry {reference.Registry} served a manifest with digest {digest} for {manifestReference}.");
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (mediaType is null or "application/json" or "application/octet-stream")
            {
                using var document = JsonDocument.Parse(bytes);
                mediaType = document.RootElement.TryGetProperty("mediaType", out var declared) ? declared.GetString() : null;
                mediaType ??= document.RootElement.TryGetProperty("manifests", out _) ? OciMediaTypes.ImageIndex : OciMediaTypes.ImageManifest;
            }
            return (bytes, mediaType, digest);
        }, ct);

    private async Task PutManifestAsync(ImageReference reference, byte[] manifest, OciDescriptor descriptor, CancellationToken ct) =>
        await ExecuteAsync(reference.Registry, async token =>
        {
            var uri = ManifestUri(reference, reference.Tag ?? descriptor.Digest);
            using var response = await SendAsync(reference, () =>
            {
                var content = new ByteArrayContent(manifest);
                content.Headers.ContentType = new MediaTypeHeaderValue(descriptor.MediaType);
                return new HttpRequestMessage(HttpMethod.Put, uri) { Content = content };
            }, token);
            await EnsureSuccessAsync(reference.Registry, $"storing manifest {reference}", response, token);
            if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.First() != descriptor.Digest)
                throw new InvalidDataException(
                    $"registry {reference.Registry} stored the manifest of {reference} as {values.First()}, not {descriptor.Digest}; it rewrote the manifest.");
            log.Debug("Manifest {Digest} stored as {Reference}", descriptor.Digest, reference.ToString());
            return true;
        }, ct);

    private async Task<bool> BlobExistsAsync(ImageReference repository, string digest, CancellationToken ct) =>
        await ExecuteAsync(repository.Registry, async token =>
        {
            var uri = new Uri(Endpoint(repository.Registry), $"/v2/{repository.Repository}/blobs/{digest}");
            using var response = await SendAsync(repository, () => new HttpRequestMessage(HttpMethod.Head, uri), token);
            if (response.StatusCode == HttpStatusCode.NotFound) return false;
            await EnsureSuccessAsync(repository.Registry, $"checking blob {digest}", response, token);
            return true;
        }, ct);

    private void RememberBlob(ImageReference repository, string digest) =>
        blobLocations[$"{repository.Registry}|{digest}"] = repository.Repository;

    private string? MountSource(ImageReference repository, string digest) =>
        blobLocations.TryGetValue($"{repository.Registry}|{digest}", out var source) && source != repository.Repository ? source : null;

    /// <summary>
    /// Monolithic upload: POST a session, then PUT the whole file with ?digest=. With <paramref name="mountFrom"/> the POST
    /// first asks the registry to link the blob from that repository; true when it did (201), else the upload proceeds.
    /// A retry starts a fresh session.
    /// </summary>
    private async Task<bool> UploadBlobAsync(ImageReference repository, Func<Stream> open, OciDescriptor blob, string? mountFrom, CancellationToken ct) =>
        await ExecuteAsync(repository.Registry, async token =>
        {
            var start = new Uri(Endpoint(repository.Registry), $"/v2/{repository.Repository}/blobs/uploads/");
            var post = mountFrom is null ? start : WithQuery(start, $"mount={Uri.EscapeDataString(blob.Digest)}&from={Uri.EscapeDataString(mountFrom)}");
            Uri location;
            using (var session = await SendAsync(repository, () => new HttpRequestMessage(HttpMethod.Post, post) { Content = new ByteArrayContent([]) }, token))
            {
                await EnsureSuccessAsync(repository.Registry, $"starting the upload of blob {blob.Digest}", session, token);
                if (mountFrom is not null && session.StatusCode == HttpStatusCode.Created)
                {
                    log.Debug("Blob {Digest} mounted from {Source}", blob.Digest, mountFrom);
                    return true;
                }
                location = session.Headers.Location
                    ?? throw new InvalidDataException($"registry {repository.Registry} started an upload without a Location header.");
            }
            var target = WithQuery(location.IsAbsoluteUri ? location : new Uri(start, location), "digest=" + Uri.EscapeDataString(blob.Digest));
            log.Information("Uploading blob {Digest} ({Size:0.0} MB) to {Repository}", blob.Digest, blob.Size / 1048576.0, repository.ToString());
            using var response = await SendAsync(repository, () =>
            {
                var content = new StreamContent(open(), 1 << 16);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                content.Headers.ContentLength = blob.Size;
                return new HttpRequestMessage(HttpMethod.Put, target) { Content = content };
            }, token);
            await EnsureSuccessAsync(repository.Registry, $"uploading blob {blob.Digest}", response, token);
            return false;
        }, ct);

    private static Func<Stream> OpenFile(string path) => () => File.OpenRead(path);

    // ---- plumbing ----

    /// <summary>Sends one request, answering a 401 challenge once with credentials or a token.</summary>
    private async Task<HttpResponseMessage> SendAsync(ImageReference repository, Func<HttpRequestMessage> create, CancellationToken ct,
                                                      HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var authorization = authenticator.Current(repository.Registry, repository.Repository);
        for (var attempt = 0; ; attempt++)
        {
            using var request = create();
            request.Headers.Authorization = authorization;
            var response = await http.SendAsync(request, completion, ct);
            if (response.StatusCode == HttpStatusCode.Forbidden)
            {
                var error = await RegistryResponses.ErrorAsync(repository.Registry, $"{request.Method} {request.RequestUri?.AbsolutePath}", response, ct);
                response.Dispose();
                throw new RegistryAuthenticationException(repository.Registry, $"access to {repository.Repository} is denied ({error.Message})");
            }
            if (response.StatusCode != HttpStatusCode.Unauthorized) return response;
            try
            {
                authorization = await authenticator.AuthorizeAsync(repository.Registry, repository.Repository, response, attempt > 0, ct);
            }
            finally
            {
                response.Dispose();
            }
        }
    }

    private async Task EnsureSuccessAsync(string registry, string operation, HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        if (RegistryResponses.IsTransient(response.StatusCode))
        {
            var body = response.RequestMessage?.Method == HttpMethod.Head ? "" : await response.Content.ReadAsStringAsync(ct);
            var errors = RegistryResponses.ParseErrors(body);
            throw new TransientRegistryResponseException(response.StatusCode,
                $"{operation}{(errors.Count > 0 ? ": " + string.Join("; ", errors.Select(e => $"{e.Code}: {e.Message}")) : "")}");
        }
        throw await RegistryResponses.ErrorAsync(registry, operation, response, ct);
    }

    private async Task<T> ExecuteAsync<T>(string registry, Func<CancellationToken, Task<T>> operation, CancellationToken ct)
    {
        try
        {
            return await pipeline.ExecuteAsync(async token => await operation(token), ct);
        }
        catch (Exception exception) when (IsTransient(exception, ct))
        {
            throw new RegistryUnavailableException(registry, retry.MaxRetryAttempts + 1, Describe(exception), exception);
        }
        catch (HttpRequestException exception) when (exception.InnerException is AuthenticationException)
        {
            throw new RegistryUnavailableException(registry, 1, $"the TLS handshake failed ({exception.InnerException.Message})", exception,
                "if it serves plain http, declare it as a plain-http registry (like Docker's insecure-registries), else fix its certificate.");
        }
    }

    private static bool IsTransient(Exception exception, CancellationToken ct) => exception switch
    {
        TransientRegistryResponseException => true,
        HttpRequestException { InnerException: AuthenticationException } => false,   // TLS misconfiguration: retrying cannot help
        HttpRequestException => true,
        SocketException or IOException => true,
        OperationCanceledException => !ct.IsCancellationRequested,   // HttpClient's timeout, not the caller's cancellation
        _ => false,
    };

    private string Describe(Exception exception) => exception switch
    {
        OperationCanceledException => $"no answer within {retry.RequestTimeout.TotalSeconds:0.#}s",
        HttpRequestException { InnerException: SocketException socket } => socket.SocketErrorCode == SocketError.ConnectionRefused
            ? "connection refused"
            : socket.Message,
        TransientRegistryResponseException transient => transient.Message,
        _ => exception.Message,
    };

    private static HttpRequestMessage ManifestRequest(HttpMethod method, Uri uri)
    {
        var request = new HttpRequestMessage(method, uri);
        foreach (var type in ManifestAccept) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        return request;
    }

    private Uri ManifestUri(ImageReference reference, string manifestReference) =>
        new(Endpoint(reference.Registry), $"/v2/{reference.Repository}/manifests/{manifestReference}");

    private static Uri? NextPage(Uri current, HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var links)) return null;
        foreach (var link in links)
        {
            if (!link.Contains("rel=\"next\"", StringComparison.Ordinal)) continue;
            var start = link.IndexOf('<');
            var end = link.IndexOf('>');
            if (start >= 0 && end > start) return new Uri(current, link[(start + 1)..end]);
        }
        return null;
    }

    /// <summary>Appends a query parameter to a URI that may already carry a query (upload locations often do).</summary>
    internal static Uri WithQuery(Uri uri, string parameter)
    {
        var builder = new UriBuilder(uri);
        var existing = builder.Query.TrimStart('?');
        builder.Query = existing.Length == 0 ? parameter : existing + "&" + parameter;
        return builder.Uri;
    }

    private Uri Endpoint(string registryHost) =>
        plainHttpRegistries.Contains(registryHost) ? new Uri($"http://{registryHost}/") : BaseUri(registryHost);

    /// <summary>Loopback registries speak http (as Docker treats them as insecure); all others https. docker.io is served by registry-1.docker.io.</summary>
    public static Uri BaseUri(string registryHost)
    {
        if (registryHost == ImageReference.DefaultRegistry) return new Uri("https://registry-1.docker.io/");
        var host = registryHost.StartsWith('[') ? registryHost[..(registryHost.IndexOf(']') + 1)] : registryHost.Split(':')[0];
        var loopback = host == "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
        return new Uri($"{(loopback ? "http" : "https")}://{registryHost}/");
    }
}
