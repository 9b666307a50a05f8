using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Slipway.Delivery.Oci;

namespace Slipway.Delivery.Tests.Oci;

/// <summary>Archive conversion without a Docker engine: OCI layout archives and hand-made docker-archives.</summary>
public sealed class OciArchiveTests : IDisposable
{
    private readonly TempDirectory temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_oci_layout_archive_keeps_its_manifest_digest(bool gzipped)
    {
        var original = await TestImages.CreateAsync(temp.Path, "oci archive", "original");
        var archive = temp.Combine(gzipped ? "image.tar.gz" : "image.tar");
        await using (var output = File.Create(archive))
        await using (Stream stream = gzipped ? new GZipStream(output, CompressionLevel.Fastest) : output)
            await TarFile.CreateFromDirectoryAsync(original.Directory, stream, includeBaseDirectory: false, Ct);

        var converted = await OciImageLayout.FromArchiveAsync(archive, temp.Combine("converted"), Ct);

        Assert.Equal(original.Manifest, converted.Manifest);
        Assert.Equal(original.Layers, converted.Layers);
        Assert.Empty(Directory.EnumerateDirectories(temp.Path, ".*"));
    }

    [Fact]
    public async Task A_docker_archive_with_compressed_layers_keeps_the_layer_blobs_and_the_config()
    {
        // The SDK's docker-format archive: "<hex>/layer.tar" entries hold the compressed registry blobs.
        var tar = temp.Combine("layer.tar");
        await TestImages.WriteTarAsync(tar, ("app.dll", "binary"));
        var layer = await OciLayer.GzipDeterministicAsync(tar, temp.Combine("layer.tar.gz"), Ct);
        var config = TestImages.Config(layer.DiffId);
        var configName = Sha256Digest.Hex(Sha256Digest.Of(config)) + ".json";
        var layerName = Sha256Digest.Hex(layer.Digest) + "/layer.tar";
        var archive = temp.Combine("docker.tar");
        await WriteArchiveAsync(archive,
            ("manifest.json", Encoding.UTF8.GetBytes($$"""[{"Config":"{{configName}}","RepoTags":["app:1"],"Layers":["{{layerName}}"]}]""")),
            (configName, config),
            (layerName, await File.ReadAllBytesAsync(layer.Path, Ct)));

        var converted = await OciImageLayout.FromArchiveAsync(archive, temp.Combine("converted"), Ct);

        Assert.Equal(layer.Descriptor, Assert.Single(converted.Layers));
        Assert.Equal(Sha256Digest.Of(config), converted.Config.Digest);
        Assert.Equal(OciMediaTypes.ImageManifest, converted.Manifest.MediaType);
        Assert.Equal(config, converted.ReadConfigBytes());
    }

    [Fact]
    public async Task A_docker_archive_converts_deterministically()
    {
        var tar = temp.Combine("layer.tar");
        await TestImages.WriteTarAsync(tar, ("a.txt", "alpha"));
        var config = TestImages.Config(await OciLayer.DiffIdAsync(tar, Ct));
        var archive = temp.Combine("docker.tar");
        await WriteArchiveAsync(archive,
            ("manifest.json", """[{"Config":"config.json","RepoTags":null,"Layers":["abc/layer.tar"]}]"""u8.ToArray()),
            ("config.json", config),
            ("abc/layer.tar", await File.ReadAllBytesAsync(tar, Ct)));

        var first = await OciImageLayout.FromArchiveAsync(archive, temp.Combine("one"), Ct);
        var second = await OciImageLayout.FromArchiveAsync(archive, temp.Combine("two"), Ct);

        Assert.Equal(first.Manifest.Digest, second.Manifest.Digest);
        Assert.Equal(await OciLayer.DiffIdOfGzipAsync(first.BlobPath(first.Layers[0].Digest), Ct), await OciLayer.DiffIdAsync(tar, Ct));
    }

    [Fact]
    public async Task Bad_archives_get_clear_errors_and_leave_no_layout()
    {
        var notAnImage = temp.Combine("random.tar");
        await WriteArchiveAsync(notAnImage, ("readme.txt", "hello"u8.ToArray()));
        var neither = await Assert.ThrowsAsync<InvalidDataException>(() => OciImageLayout.FromArchiveAsync(notAnImage, temp.Combine("x"), Ct));
        Assert.Contains("neither a docker-archive", neither.Message);

        var two = temp.Combine("two.tar");
        await WriteArchiveAsync(two, ("manifest.json", """[{"Config":"a.json","Layers":[]},{"Config":"b.json","Layers":[]}]"""u8.ToArray()));
        var many = await Assert.ThrowsAsync<InvalidDataException>(() => OciImageLayout.FromArchiveAsync(two, temp.Combine("x"), Ct));
        Assert.Contains("holds 2 images", many.Message);

        var escaping = temp.Combine("escape.tar");
        await WriteArchiveAsync(escaping, ("../evil.txt", "x"u8.ToArray()));
        var escape = await Assert.ThrowsAsync<InvalidDataException>(() => OciImageLayout.FromArchiveAsync(escaping, temp.Combine("x"), Ct));
        Assert.Contains("escaping the archive", escape.Message);

        await Assert.ThrowsAsync<FileNotFoundException>(() => OciImageLayout.FromArchiveAsync(temp.Combine("missing.tar"), temp.Combine("x"), Ct));
        Assert.False(Directory.Exists(temp.Combine("x")));
        Assert.Empty(Directory.EnumerateDirectories(temp.Path, ".*"));
    }

    private static async Task WriteArchiveAsync(string path, params (string Name, byte[] Content)[] entries)
    {
        await using var stream = File.Create(path);
        await using var writer = new TarWriter(stream, TarEntryFormat.Pax);
        foreach (var (name, content) in entries)
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) }, Ct);
    }
}
