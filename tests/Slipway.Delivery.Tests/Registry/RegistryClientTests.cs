using Docker.DotNet.Models;
using Slipway.Delivery.Docker;
using Slipway.Delivery.Oci;
using Slipway.Delivery.Registry;
using Slipway.Testing;
using Slipway.Delivery.Tests.Oci;

namespace Slipway.Delivery.Tests.Registry;

/// <summary>Integration tests against a real CNCF distribution registry (the assembly's shared one).</summary>
[Trait("Tier", "Engine")]
public sealed class RegistryClientTests(SharedRegistry sharedRegistry) : IAsyncLifetime
{
    private RegistryFixture registry = null!; // the assembly's registry, set by InitializeAsync
    private readonly TempDirectory temp = new();
    private readonly TestLog log = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => registry = await sharedRegistry.StartAsync();

    public ValueTask DisposeAsync()
    {
        temp.Dispose();
        return ValueTask.CompletedTask;
    }

    private RegistryClient Client() => new(log.Logger, _ => null);

    private ImageReference Repository(string name) => ImageReference.Parse($"{registry.Host}/{name}-{Guid.NewGuid().ToString("N")[..12]}");

    [Fact]
    public async Task Push_then_pull_by_digest_gives_the_same_manifest_digest()
    {
        using var client = Client();
        var image = await TestImages.CreateAsync(temp.Path, "push and pull");
        var repository = Repository("slipway/push-pull");

        var pushed = await client.PushAsync(image, repository, ["1.0.0", "sha-abc1234"], Ct);

        Assert.False(pushed.AlreadyPresent);
        Assert.Equal(2, pushed.BlobsUploaded);
        Assert.Equal(image.Config.Size + image.Layers[0].Size, pushed.BytesUploaded);
        Assert.Equal(repository.WithDigest(image.Manifest.Digest), pushed.Pushed);
        Assert.True(await client.HasManifestAsync(pushed.Pushed, Ct));

        var pulled = await client.PullAsync(pushed.Pushed, temp.Combine("pulled"), Ct);
        Assert.Equal(image.Manifest, pulled.Manifest);
        Assert.Equal(image.Config, pulled.Config);
        Assert.Equal(image.Layers, pulled.Layers);
        Assert.Equal(await File.ReadAllBytesAsync(image.BlobPath(image.Layers[0].Digest), Ct),
                     await File.ReadAllBytesAsync(pulled.BlobPath(pulled.Layers[0].Digest), Ct));

        var pulledByTag = await client.PullAsync(repository.WithTag("1.0.0"), temp.Combine("pulled-by-tag"), Ct);
        Assert.Equal(image.Manifest.Digest, pulledByTag.Manifest.Digest);
    }

    [Fact]
    public async Task Pulling_into_a_layout_that_already_holds_the_image_downloads_nothing()
    {
        var image = await TestImages.CreateAsync(temp.Path, "cached pull");
        var repository = Repository("cached");
        using (var client = Client())
            await client.PushAsync(image, repository, ["1"], Ct);
        var target = temp.Combine("cache");

        using var handler = new FaultInjectingHandler();
        using var counting = new RegistryClient(log.Logger, _ => null, handler);
        await counting.PullAsync(repository.WithTag("1"), target, Ct);
        var first = handler.Requests;
        var again = await counting.PullAsync(repository.WithDigest(image.Manifest.Digest), target, Ct);
        var byTag = await counting.PullAsync(repository.WithTag("1"), target, Ct);

        Assert.Equal(first, handler.Requests - 1);   // only the tag's manifest was fetched again
        Assert.Equal(image.Manifest.Digest, again.Manifest.Digest);
        Assert.Equal(image.Manifest.Digest, byTag.Manifest.Digest);
    }

    [Fact]
    public async Task A_second_push_uploads_nothing_and_still_tags()
    {
        using var client = Client();
        var image = await TestImages.CreateAsync(temp.Path, "idempotent");
        var repository = Repository("idempotent");
        await client.PushAsync(image, repository, ["1.0.0"], Ct);

        var again = await client.PushAsync(image, repository, ["1.0.0", "1.0.1"], Ct);

        Assert.True(again.AlreadyPresent);
        Assert.Equal(0, again.BlobsUploaded);
        Assert.Equal(0, again.BytesUploaded);
        Assert.Equal(["1.0.0", "1.0.1"], (await client.ListTagsAsync(repository, Ct)).Order());
        Assert.Equal(image.Manifest.Digest, await client.ResolveDigestAsync(repository.WithTag("1.0.1"), Ct));
    }

    [Fact]
    public async Task Blobs_already_in_the_repository_are_skipped()
    {
        using var client = Client();
        var repository = Repository("shared-layer");
        var first = await TestImages.CreateAsync(temp.Path, "same layer", "first");
        await client.PushAsync(first, repository, ["1"], Ct);
        // Same layer, different manifest (annotation): only the manifest changes, no blob is uploaded again.
        var second = await TestImages.CreateAsync(temp.Path, "same layer", "second", new Dictionary<string, string> { ["org.opencontainers.image.version"] = "2" });

        var pushed = await client.PushAsync(second, repository, [], Ct);

        Assert.False(pushed.AlreadyPresent);
        Assert.Equal(0, pushed.BlobsUploaded);
        Assert.True(await client.HasManifestAsync(repository.WithDigest(second.Manifest.Digest), Ct));
    }

    [Fact]
    public async Task Blobs_this_client_saw_in_another_repository_are_mounted_not_uploaded()
    {
        using var client = Client();
        var image = await TestImages.CreateAsync(temp.Path, "mount me");
        await client.PushAsync(image, Repository("slipway/base"), ["1"], Ct);
        var target = Repository("app");

        var pushed = await client.PushAsync(image, target, ["1"], Ct);

        Assert.Equal(0, pushed.BlobsUploaded);
        Assert.Equal(2, pushed.BlobsMounted);
        var pulled = await client.PullAsync(target.WithTag("1"), temp.Combine("pulled"), Ct);
        Assert.Equal(image.Manifest.Digest, pulled.Manifest.Digest);
    }

    [Fact]
    public async Task Tags_are_listed_page_by_page_following_the_Link_header()
    {
        // Debian's distribution 2.8 answers tags/list in one page whatever n asks, so the pages of a newer registry
        // (distribution 3, Harbor, GHCR: n, last, and a relative Link to the next page) are served in its place.
        var repository = Repository("paged");
        string[] tags = ["1.0.0", "1.0.1", "1.1.0", "2.0.0", "main-7"];
        var asked = new List<string>();
        using var handler = new FaultInjectingHandler().Answer(request =>
        {
            if (request.RequestUri!.AbsolutePath != $"/v2/{repository.Repository}/tags/list") return null;
            asked.Add(request.RequestUri.Query);
            var query = System.Web.HttpUtility.ParseQueryString(request.RequestUri.Query);
            var size = int.Parse(query["n"]!, System.Globalization.CultureInfo.InvariantCulture);
            var page = tags.Where(tag => query["last"] is not { } last || string.CompareOrdinal(tag, last) > 0).Take(size).ToArray();
            var response = new HttpResponseMessage(System.Net.HttpStatusCode.OK)
            {
                RequestMessage = request,
                Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(new { name = repository.Repository, tags = page })),
            };
            if (page.Length > 0 && page[^1] != tags[^1])
                response.Headers.TryAddWithoutValidation("Link", $"</v2/{repository.Repository}/tags/list?last={page[^1]}&n={size}>; rel=\"next\"");
            return response;
        });
        using var paging = new RegistryClient(log.Logger, _ => null, handler);

        var listed = await paging.ListTagsAsync(repository, pageSize: 2, Ct);

        Assert.Equal(tags, listed);
        Assert.Equal(["?n=2", "?last=1.0.1&n=2", "?last=2.0.0&n=2"], asked);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => paging.ListTagsAsync(repository, pageSize: 0, Ct));
    }

    [Fact]
    public async Task Image_labels_are_read_from_the_config_blob()
    {
        using var client = Client();
        var directory = temp.Combine("labelled");
        Directory.CreateDirectory(directory);
        var tar = Path.Combine(directory, "layer.tar");
        await TestImages.WriteTarAsync(tar, ("hello.txt", "labelled"));
        var layer = await OciLayer.GzipDeterministicAsync(tar, tar + ".gz", Ct);
        var config = System.Text.Encoding.UTF8.GetBytes(
            "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"org.opencontainers.image.revision\":\"0123abcd\"," +
            "\"org.opencontainers.image.created\":\"2026-01-02T03:04:05Z\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + layer.DiffId + "\"]}}");
        var image = await OciImageLayout.CreateAsync(Path.Combine(directory, "layout"), config, [layer.Path], ct: Ct);
        var repository = Repository("labelled");
        await client.PushAsync(image, repository, ["1.0.0"], Ct);
        var unlabelled = await TestImages.CreateAsync(temp.Path, "no labels", "plain");
        await client.PushAsync(unlabelled, repository, ["plain"], Ct);

        var labels = await client.GetImageLabelsAsync(repository.WithTag("1.0.0"), Ct);

        Assert.Equal("0123abcd", labels["org.opencontainers.image.revision"]);
        Assert.Equal("2026-01-02T03:04:05Z", labels["org.opencontainers.image.created"]);
        Assert.Empty(await client.GetImageLabelsAsync(repository.WithTag("plain"), Ct));
    }

    [Fact]
    public async Task Tags_and_digests_of_unknown_images_are_empty_not_errors()
    {
        using var client = Client();
        var repository = Repository("nothing-here");

        Assert.Empty(await client.ListTagsAsync(repository, Ct));
        Assert.Null(await client.ResolveDigestAsync(repository.WithTag("1.0.0"), Ct));
        Assert.False(await client.HasManifestAsync(repository.WithDigest(Sha256Digest.Of("nothing"u8)), Ct));
        Assert.True(await client.IsRegistryAsync(registry.Host, Ct));
    }

    [Fact]
    public async Task Registry_errors_quote_the_code_and_message()
    {
        using var client = Client();
        var missing = ImageReference.Parse($"{registry.Host}/missing@{Sha256Digest.Of("nothing"u8)}");

        var error = await Assert.ThrowsAsync<RegistryRequestException>(() => client.PullAsync(missing, temp.Combine("pull"), Ct));

        Assert.Contains("MANIFEST_UNKNOWN", error.Message);
        Assert.Contains(registry.Host, error.Message);
        Assert.Equal("MANIFEST_UNKNOWN", error.Errors[0].Code);
        Assert.False(Directory.Exists(temp.Combine("pull")));
    }

    [Fact]
    public async Task Docker_pulls_what_was_pushed_by_digest()
    {
        using var client = Client();
        var image = await TestImages.CreateAsync(temp.Path, "docker pulls this");
        var repository = Repository("docker-pull");
        var pushed = await client.PushAsync(image, repository, ["1.0.0"], Ct);

        using var docker = await DockerEngine.ConnectAsync(cancellationToken: Ct);
        var errors = new List<string>();
        var reference = pushed.Pushed.ToString();
        try
        {
            await docker.Images.CreateImageAsync(
                new ImagesCreateParameters { FromImage = repository.ToString(), Tag = image.Manifest.Digest },
                null, new Progress<JSONMessage>(message => { if (message.Error is not null) lock (errors) errors.Add(message.Error.Message ?? "error without message"); }), Ct);
            Assert.Empty(errors);

            var inspected = await docker.Images.InspectImageAsync(reference, Ct);
            Assert.Contains(reference, inspected.RepoDigests);
            Assert.Equal(image.Config.Digest, inspected.ID);
        }
        finally
        {
            try
            {
                await docker.Images.DeleteImageAsync(reference, new ImageDeleteParameters { Force = true }, CancellationToken.None);
            }
            catch (global::Docker.DotNet.DockerImageNotFoundException)
            {
            }
        }
    }

    [Fact]
    public async Task An_unreachable_registry_gives_a_clear_error_after_the_retries()
    {
        var host = $"127.0.0.1:{FreePort.Next()}";
        using var client = new RegistryClient(log.Logger, _ => null, retry: new RegistryRetryOptions
        {
            MaxRetryAttempts = 2,
            BaseDelay = TimeSpan.FromMilliseconds(10),
            MaxDelay = TimeSpan.FromMilliseconds(50),
        });
        var image = await TestImages.CreateAsync(temp.Path, "nowhere");

        var error = await Assert.ThrowsAsync<RegistryUnavailableException>(() =>
            client.PushAsync(image, ImageReference.Parse($"{host}/beacon"), ["1.0.0"], Ct));

        Assert.Equal($"registry {host} unreachable after 3 attempts: connection refused; start it with ./build.sh Infrastructure or set --registry to a running registry.", error.Message);
        Assert.Equal(2, log.Lines.Count(line => line.Contains("retry", StringComparison.Ordinal)));
        Assert.False(await client.IsRegistryAsync(host, Ct));
    }
}
