using System.Net;
using Slipway.Delivery.Oci;
using Slipway.Delivery.Registry;
using Slipway.Testing;
using Slipway.Delivery.Tests.Oci;

namespace Slipway.Delivery.Tests.Registry;

/// <summary>Transient failures, registry errors and protocol details, with faults injected in front of a real registry.</summary>
[Trait("Tier", "Engine")]
public sealed class RegistryResilienceTests(SharedRegistry sharedRegistry) : IAsyncLifetime
{
    private RegistryFixture registry = null!; // the assembly's registry, set by InitializeAsync
    private static readonly RegistryRetryOptions FastRetries = new()
    {
        MaxRetryAttempts = 3,
        BaseDelay = TimeSpan.FromMilliseconds(5),
        MaxDelay = TimeSpan.FromMilliseconds(20),
    };

    private readonly TempDirectory temp = new();
    private readonly TestLog log = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => registry = await sharedRegistry.StartAsync();

    public ValueTask DisposeAsync()
    {
        temp.Dispose();
        return ValueTask.CompletedTask;
    }

    private ImageReference Repository(string name) => ImageReference.Parse($"{registry.Host}/{name}-{Guid.NewGuid().ToString("N")[..12]}");

    private static bool IsUpload(HttpRequestMessage request) => request.Method == HttpMethod.Put && request.RequestUri!.AbsolutePath.Contains("/blobs/uploads/");

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.BadGateway)]
    public async Task Transient_answers_are_retried_until_the_push_succeeds(HttpStatusCode status)
    {
        using var handler = new FaultInjectingHandler().Fail(IsUpload, status, times: 2);
        using var client = new RegistryClient(log.Logger, _ => null, handler, FastRetries);
        var image = await TestImages.CreateAsync(temp.Path, "retry me");
        var repository = Repository("retried");

        var pushed = await client.PushAsync(image, repository, ["1"], Ct);

        Assert.Equal(2, pushed.BlobsUploaded);
        Assert.Equal(image.Manifest.Digest, await client.ResolveDigestAsync(repository.WithTag("1"), Ct));
        Assert.Equal(2, log.Lines.Count(line => line.Contains("retry", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_download_broken_mid_stream_is_retried_and_leaves_no_partial_blob()
    {
        var image = await TestImages.CreateAsync(temp.Path, string.Concat(Enumerable.Repeat("a layer worth breaking ", 2000)));
        var repository = Repository("broken-stream");
        using (var pusher = new RegistryClient(log.Logger, _ => null))
            await pusher.PushAsync(image, repository, ["1"], Ct);
        var broken = 0;
        using var handler = new FaultInjectingHandler().Rewrite(response =>
        {
            if (response.RequestMessage!.Method == HttpMethod.Get && response.RequestMessage.RequestUri!.AbsolutePath.EndsWith(image.Layers[0].Digest)
                && Interlocked.Exchange(ref broken, 1) == 0)
                response.Content = new StreamContent(new BreakingStream(response.Content.ReadAsStream(), breakAfter: 100));
        });
        using var client = new RegistryClient(log.Logger, _ => null, handler, FastRetries);

        var pulled = await client.PullAsync(repository.WithTag("1"), temp.Combine("pulled"), Ct);

        Assert.Equal(1, broken);
        Assert.Equal(image.Manifest.Digest, pulled.Manifest.Digest);
        Assert.Equal(3, Directory.GetFiles(Path.Combine(pulled.Directory, "blobs", "sha256")).Length);   // manifest, config, layer: nothing else
    }

    /// <summary>Reads <c>breakAfter</c> bytes of the inner stream, then fails as a dropped connection would.</summary>
    private sealed class BreakingStream(Stream inner, int breakAfter) : Stream
    {
        private int read;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (read >= breakAfter) throw new IOException("connection reset (injected)");
            var n = inner.Read(buffer, offset, Math.Min(count, breakAfter - read));
            read += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    [Fact]
    public async Task A_registry_failing_persistently_gives_the_clear_error_with_the_status()
    {
        using var handler = new FaultInjectingHandler().Fail(_ => true, HttpStatusCode.InternalServerError);
        using var client = new RegistryClient(log.Logger, _ => null, handler, FastRetries);

        var error = await Assert.ThrowsAsync<RegistryUnavailableException>(() => client.ListTagsAsync(Repository("broken"), Ct));

        Assert.StartsWith($"registry {registry.Host} unreachable after 4 attempts: 500 InternalServerError", error.Message);
        Assert.Contains("UNAVAILABLE: injected", error.Message);
        Assert.EndsWith("start it with ./build.sh Infrastructure or set --registry to a running registry.", error.Message);
        Assert.Equal(4, handler.Requests);
    }

    [Fact]
    public async Task A_timeout_counts_as_transient()
    {
        using var handler = new FaultInjectingHandler().Answer(request =>
        {
            Thread.Sleep(300);   // longer than the request timeout below
            return null;
        });
        using var client = new RegistryClient(log.Logger, _ => null, handler,
            FastRetries with { MaxRetryAttempts = 1, RequestTimeout = TimeSpan.FromMilliseconds(100) });

        var error = await Assert.ThrowsAsync<RegistryUnavailableException>(() => client.ListTagsAsync(Repository("slow"), Ct));

        Assert.Contains("unreachable after 2 attempts: no answer within 0.1s", error.Message);
    }

    [Fact]
    public async Task Registry_errors_on_push_quote_the_code_and_are_not_retried()
    {
        // Pretend every blob exists so the push skips uploads: the registry refuses the manifest.
        using var handler = new FaultInjectingHandler().Answer(request =>
            request.Method == HttpMethod.Head && request.RequestUri!.AbsolutePath.Contains("/blobs/sha256:")
                ? new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request }
                : null);
        using var client = new RegistryClient(log.Logger, _ => null, handler, FastRetries);
        var image = await TestImages.CreateAsync(temp.Path, "missing blobs");

        var error = await Assert.ThrowsAsync<RegistryRequestException>(() => client.PushAsync(image, Repository("refused"), ["1"], Ct));

        Assert.Contains("MANIFEST_BLOB_UNKNOWN", error.Message);
        Assert.Contains($"registry {registry.Host} refused storing manifest", error.Message);
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.DoesNotContain(log.Lines, line => line.Contains("retry", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Relative_upload_locations_are_resolved_against_the_registry()
    {
        using var handler = new FaultInjectingHandler().Rewrite(response =>
        {
            if (response.Headers.Location is { IsAbsoluteUri: true } location && location.AbsolutePath.Contains("/blobs/uploads/"))
                response.Headers.Location = new Uri(location.PathAndQuery, UriKind.Relative);
        });
        using var client = new RegistryClient(log.Logger, _ => null, handler, FastRetries);
        var image = await TestImages.CreateAsync(temp.Path, "relative location");
        var repository = Repository("relative");

        var pushed = await client.PushAsync(image, repository, ["1"], Ct);

        Assert.Equal(2, pushed.BlobsUploaded);
        Assert.True(await client.HasManifestAsync(pushed.Pushed, Ct));
    }

    [Fact]
    public async Task A_plain_http_registry_under_a_name_needs_declaring_and_says_so()
    {
        // "registry.test:<port>" is not loopback, so https by default; every connection still goes to 127.0.0.1.
        var host = $"registry.test:{registry.Port}";
        var repository = ImageReference.Parse($"{host}/named");
        static SocketsHttpHandler ToLoopback() => new()
        {
            ConnectCallback = async (context, token) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, token);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        };

        using (var https = new RegistryClient(log.Logger, _ => null, ToLoopback(), FastRetries))
        {
            var error = await Assert.ThrowsAsync<RegistryUnavailableException>(() => https.ListTagsAsync(repository, Ct));
            Assert.StartsWith($"registry {host} unreachable after 1 attempt: the TLS handshake failed", error.Message);
            Assert.Contains("plain-http registry", error.Message);
            Assert.False(await https.IsRegistryAsync(host, Ct));
        }

        using var plain = new RegistryClient(log.Logger, _ => null, ToLoopback(), FastRetries, plainHttpRegistries: [host]);
        var image = await TestImages.CreateAsync(temp.Path, "plain http");
        var pushed = await plain.PushAsync(image, repository, ["1"], Ct);
        Assert.Equal(image.Manifest.Digest, await plain.ResolveDigestAsync(repository.WithTag("1"), Ct));
        Assert.True(await plain.IsRegistryAsync(host, Ct));
        Assert.Equal(2, pushed.BlobsUploaded);
    }

    [Fact]
    public async Task Tag_lists_are_followed_across_pages()
    {
        // Distribution 2.8 does not paginate tags; the pages here follow the spec: Link: <…?last=…&n=…>; rel="next".
        var repository = Repository("paged");
        using var handler = new FaultInjectingHandler().Answer(request =>
        {
            if (!request.RequestUri!.AbsolutePath.EndsWith("/tags/list")) return null;
            var page = request.RequestUri.Query.Contains("last=b") ? """{"tags":["c"]}"""
                : request.RequestUri.Query.Contains("last=a") ? """{"tags":["b"]}"""
                : """{"tags":["a"]}""";
            var response = new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request, Content = new StringContent(page) };
            var last = page[10..11];
            if (last != "c")
                response.Headers.TryAddWithoutValidation("Link", $"</v2/{repository.Repository}/tags/list?last={last}&n=1>; rel=\"next\"");
            return response;
        });
        using var client = new RegistryClient(log.Logger, _ => null, handler, FastRetries);

        var tags = await client.ListTagsAsync(repository, Ct);

        Assert.Equal(["a", "b", "c"], tags);
        Assert.Equal(3, handler.Requests);
    }

    [Fact]
    public async Task Cancellation_is_not_mistaken_for_an_unavailable_registry()
    {
        using var client = new RegistryClient(log.Logger, _ => null, retry: FastRetries);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ListTagsAsync(Repository("cancelled"), cancelled.Token));
    }
}
