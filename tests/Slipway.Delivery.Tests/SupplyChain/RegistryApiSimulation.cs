using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Slipway.Delivery.Tests.SupplyChain;

/// <summary>
/// A SIMULATION of the OCI distribution API v2, in process (an HttpMessageHandler): manifests by tag and digest (GET,
/// HEAD, PUT with Docker-Content-Digest), tags/list, blobs (GET, HEAD, monolithic POST + PUT ?digest= upload checked against the
/// digest), 404 with the spec's error codes, and no referrers API (404, like distribution 2.8). The engine tier proves
/// the same flows against Debian's docker-registry.
/// </summary>
internal sealed partial class RegistryApiSimulation : HttpMessageHandler
{
    private readonly ConcurrentDictionary<string, (byte[] Content, string MediaType)> manifests = new();
    private readonly ConcurrentDictionary<string, string> tags = new();
    private readonly ConcurrentDictionary<string, byte[]> blobs = new();

    /// <summary>Every request as "METHOD path", for assertions on what a client asked.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        Requests.Enqueue($"{request.Method} {path}");
        if (path == "/v2/") return new HttpResponseMessage(HttpStatusCode.OK);
        if (ManifestPath().Match(path) is { Success: true } manifest)
            return await ManifestAsync(request, manifest.Groups["name"].Value, manifest.Groups["reference"].Value, cancellationToken);
        if (UploadPath().Match(path) is { Success: true } upload)
            return await UploadAsync(request, upload.Groups["name"].Value, upload.Groups["session"].Value, cancellationToken);
        if (TagsPath().Match(path) is { Success: true } list)
            return Tags(list.Groups["name"].Value);
        if (BlobPath().Match(path) is { Success: true } blob)
            return Blob(request, blob.Groups["digest"].Value);
        return Error(HttpStatusCode.NotFound, "NAME_UNKNOWN");   // referrers and anything else this simulation does not serve
    }

    private async Task<HttpResponseMessage> ManifestAsync(HttpRequestMessage request, string name, string reference, CancellationToken ct)
    {
        if (request.Method == HttpMethod.Put)
        {
            var content = await request.Content!.ReadAsByteArrayAsync(ct);
            var digest = Digest(content);
            if (reference.StartsWith("sha256:", StringComparison.Ordinal) && reference != digest)
                return Error(HttpStatusCode.BadRequest, "DIGEST_INVALID");
            manifests[digest] = (content, request.Content.Headers.ContentType?.MediaType ?? "application/vnd.oci.image.manifest.v1+json");
            if (!reference.StartsWith("sha256:", StringComparison.Ordinal)) tags[$"{name}:{reference}"] = digest;
            var created = new HttpResponseMessage(HttpStatusCode.Created);
            created.Headers.Add("Docker-Content-Digest", digest);
            return created;
        }
        var resolved = reference.StartsWith("sha256:", StringComparison.Ordinal) ? reference : tags.GetValueOrDefault($"{name}:{reference}");
        if (resolved is null || !manifests.TryGetValue(resolved, out var stored)) return Error(HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        var response = new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new ByteArrayContent(request.Method == HttpMethod.Head ? [] : stored.Content),
        };
        response.Content.Headers.ContentType = new MediaTypeHeaderValue(stored.MediaType);
        response.Headers.Add("Docker-Content-Digest", resolved);
        return response;
    }

    private async Task<HttpResponseMessage> UploadAsync(HttpRequestMessage request, string name, string session, CancellationToken ct)
    {
        if (request.Method == HttpMethod.Post)
        {
            var accepted = new HttpResponseMessage(HttpStatusCode.Accepted);
            accepted.Headers.Location = new Uri($"/v2/{name}/blobs/uploads/{Guid.NewGuid():N}", UriKind.Relative);
            return accepted;
        }
        if (request.Method != HttpMethod.Put || session.Length == 0) return Error(HttpStatusCode.MethodNotAllowed, "UNSUPPORTED");
        var expected = System.Web.HttpUtility.ParseQueryString(request.RequestUri!.Query)["digest"];
        var content = await request.Content!.ReadAsByteArrayAsync(ct);
        if (expected != Digest(content)) return Error(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        blobs[expected] = content;
        return new HttpResponseMessage(HttpStatusCode.Created);
    }

    private HttpResponseMessage Blob(HttpRequestMessage request, string digest)
    {
        if (!blobs.TryGetValue(digest, out var content)) return Error(HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(request.Method == HttpMethod.Head ? [] : content) };
    }

    private HttpResponseMessage Tags(string name)
    {
        var names = tags.Keys.Where(key => key.StartsWith(name + ":", StringComparison.Ordinal)).Select(key => key[(name.Length + 1)..]).Order(StringComparer.Ordinal);
        return new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(new { name, tags = names })),
        };
    }

    private static HttpResponseMessage Error(HttpStatusCode status, string code) =>
        new(status) { Content = new StringContent($$"""{"errors":[{"code":"{{code}}","message":"simulated"}]}""") };

    private static string Digest(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    [GeneratedRegex("^/v2/(?<name>.+)/manifests/(?<reference>[^/]+)$")]
    private static partial Regex ManifestPath();

    [GeneratedRegex("^/v2/(?<name>.+)/tags/list$")]
    private static partial Regex TagsPath();

    [GeneratedRegex("^/v2/(?<name>.+)/blobs/uploads/(?<session>[^/]*)$")]
    private static partial Regex UploadPath();

    [GeneratedRegex("^/v2/(?<name>.+)/blobs/(?<digest>sha256:[a-f0-9]{64})$")]
    private static partial Regex BlobPath();
}
