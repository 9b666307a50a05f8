using System.Text;
using System.Text.Json;
using Slipway.Delivery.Oci;

namespace Slipway.Delivery.Tests.Oci;

public sealed class OciImageLayoutTests : IDisposable
{
    private readonly TempDirectory temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task CreateAsync_on_the_same_inputs_gives_the_same_manifest_digest()
    {
        var first = await TestImages.CreateAsync(temp.Combine("a"), "hello");
        var second = await TestImages.CreateAsync(temp.Combine("b"), "hello");
        var other = await TestImages.CreateAsync(temp.Combine("c"), "hello, world");

        Assert.Equal(first.Manifest.Digest, second.Manifest.Digest);
        Assert.Equal(first.ReadManifestBytes(), second.ReadManifestBytes());
        Assert.NotEqual(first.Manifest.Digest, other.Manifest.Digest);
    }

    [Fact]
    public async Task CreateAsync_writes_a_compact_oci_manifest_whose_digest_is_its_bytes()
    {
        var layout = await TestImages.CreateAsync(temp.Path, "hello",
            annotations: new Dictionary<string, string> { ["z.last"] = "2", ["a.first"] = "1" });

        var bytes = layout.ReadManifestBytes();
        var text = Encoding.UTF8.GetString(bytes);
        Assert.Equal(Sha256Digest.Of(bytes), layout.Manifest.Digest);
        Assert.Equal(bytes.LongLength, layout.Manifest.Size);
        Assert.StartsWith("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",", text);
        Assert.EndsWith(",\"annotations\":{\"a.first\":\"1\",\"z.last\":\"2\"}}", text);
        Assert.DoesNotContain(" ", text);
        Assert.Equal(OciMediaTypes.LayerTarGzip, Assert.Single(layout.Layers).MediaType);
        Assert.Equal(OciMediaTypes.ImageConfig, layout.Config.MediaType);

        var reopened = OciImageLayout.Open(layout.Directory);
        Assert.Equal(layout.Manifest, reopened.Manifest);
        Assert.Equal(layout.Layers, reopened.Layers);
        Assert.Equal("1", reopened.ManifestAnnotations["a.first"]);
        using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout.Directory, "index.json")));
        Assert.Equal(layout.Manifest.Digest, index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString());
    }

    [Fact]
    public async Task GzipDeterministicAsync_writes_mtime_zero_and_reports_digest_size_and_diff_id()
    {
        var tar = temp.Combine("layer.tar");
        await TestImages.WriteTarAsync(tar, ("a.txt", "alpha"), ("b.txt", "beta"));

        var first = await OciLayer.GzipDeterministicAsync(tar, temp.Combine("one.tar.gz"), Ct);
        var second = await OciLayer.GzipDeterministicAsync(tar, temp.Combine("two.tar.gz"), Ct);

        var bytes = await File.ReadAllBytesAsync(first.Path, Ct);
        Assert.Equal([0x1f, 0x8b], bytes[..2]);
        Assert.Equal([0, 0, 0, 0], bytes[4..8]);   // gzip header mtime
        Assert.Equal(bytes, await File.ReadAllBytesAsync(second.Path, Ct));
        Assert.Equal(Sha256Digest.Of(bytes), first.Digest);
        Assert.Equal(bytes.LongLength, first.Size);
        Assert.Equal(await OciLayer.DiffIdAsync(tar, Ct), first.DiffId);
        Assert.Equal(first.DiffId, await OciLayer.DiffIdOfGzipAsync(first.Path, Ct));
    }

    [Fact]
    public async Task CreateAsync_rejects_uncompressed_layers_and_mismatched_diff_ids()
    {
        var tar = temp.Combine("layer.tar");
        await TestImages.WriteTarAsync(tar, ("a.txt", "alpha"));
        var layer = await OciLayer.GzipDeterministicAsync(tar, temp.Combine("layer.tar.gz"), Ct);

        var notGzip = await Assert.ThrowsAsync<InvalidDataException>(() =>
            OciImageLayout.CreateAsync(temp.Combine("x"), TestImages.Config(layer.DiffId), [tar], ct: Ct));
        Assert.Contains("GzipDeterministicAsync", notGzip.Message);

        var mismatch = await Assert.ThrowsAsync<FormatException>(() =>
            OciImageLayout.CreateAsync(temp.Combine("y"), TestImages.Config(layer.DiffId, layer.DiffId), [layer.Path], ct: Ct));
        Assert.Contains("2 rootfs.diff_ids but 1 layers", mismatch.Message);

        await Assert.ThrowsAsync<FormatException>(() =>
            OciImageLayout.CreateAsync(temp.Combine("z"), "not json"u8.ToArray(), [layer.Path], ct: Ct));
        Assert.False(Directory.Exists(temp.Combine("x")));
    }

    [Fact]
    public async Task CreateAsync_replaces_an_existing_layout_but_refuses_a_foreign_directory()
    {
        var first = await TestImages.CreateAsync(temp.Path, "one", "layout");
        var replaced = await TestImages.CreateAsync(temp.Path, "two", "layout");
        Assert.NotEqual(first.Manifest.Digest, replaced.Manifest.Digest);
        Assert.Equal(replaced.Manifest.Digest, OciImageLayout.Open(temp.Combine("layout")).Manifest.Digest);

        var foreign = temp.Combine("foreign");
        Directory.CreateDirectory(foreign);
        await File.WriteAllTextAsync(Path.Combine(foreign, "keep.txt"), "precious", Ct);
        var error = await Assert.ThrowsAsync<IOException>(() => TestImages.CreateAsync(temp.Path, "x", "foreign"));
        Assert.Contains("not an OCI image layout", error.Message);
        Assert.Equal("precious", await File.ReadAllTextAsync(Path.Combine(foreign, "keep.txt"), Ct));
        Assert.Empty(Directory.EnumerateDirectories(temp.Path, ".*staging*"));
    }

    [Fact]
    public void Open_names_what_is_wrong()
    {
        var missing = Assert.Throws<InvalidOciLayoutException>(() => OciImageLayout.Open(temp.Combine("nope")));
        Assert.Contains("does not exist", missing.Message);

        var empty = Assert.Throws<InvalidOciLayoutException>(() => OciImageLayout.Open(temp.Path));
        Assert.Contains("no 'oci-layout'", empty.Message);

        File.WriteAllText(temp.Combine("oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        Assert.Contains("no 'index.json'", Assert.Throws<InvalidOciLayoutException>(() => OciImageLayout.Open(temp.Path)).Message);

        File.WriteAllText(temp.Combine("index.json"), """{"schemaVersion":2,"manifests":[]}""");
        Assert.Contains("lists 0 manifests", Assert.Throws<InvalidOciLayoutException>(() => OciImageLayout.Open(temp.Path)).Message);
    }

    [Fact]
    public async Task Open_detects_missing_and_corrupt_blobs()
    {
        var layout = await TestImages.CreateAsync(temp.Path, "hello");

        File.Delete(layout.BlobPath(layout.Layers[0].Digest));
        var missing = Assert.Throws<InvalidOciLayoutException>(() => OciImageLayout.Open(layout.Directory));
        Assert.Contains($"layer 0 blob {layout.Layers[0].Digest} is missing", missing.Message);

        var manifestPath = layout.BlobPath(layout.Manifest.Digest);
        var bytes = File.ReadAllBytes(manifestPath);
        bytes[^2] = (byte)' ';
        File.WriteAllBytes(manifestPath, bytes);
        Assert.Contains("does not match its digest", Assert.Throws<InvalidOciLayoutException>(() => OciImageLayout.Open(layout.Directory)).Message);
    }
}
