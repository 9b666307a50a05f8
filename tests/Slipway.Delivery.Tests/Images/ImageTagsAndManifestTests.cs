using Slipway.Delivery.Images;
using Slipway.Delivery.Versioning;

namespace Slipway.Delivery.Tests.Images;

public sealed class ImageTagsAndManifestTests
{
    private static readonly ServiceVersion Version = new("2.0.1-alpha.0.7", "abcdef0123456789abcdef0123456789abcdef01", DateTimeOffset.FromUnixTimeSeconds(1_800_000_000), 7, "v2.0.0");

    [Fact]
    public void Tags_are_the_version_and_the_short_commit() =>
        Assert.Equal(["2.0.1-alpha.0.7", "sha-abcdef0"], ImageTags.For(Version));

    [Theory]
    [InlineData("latest")]
    [InlineData("LATEST")]
    public void Latest_is_refused(string tag) =>
        Assert.Contains("'latest' is refused", Assert.Throws<ImageBuildException>(() => ImageTags.EnsureAllowed(tag)).Message);

    [Fact]
    public void An_invalid_tag_is_refused() =>
        Assert.Throws<ImageBuildException>(() => ImageTags.EnsureAllowed("-nope"));

    [Fact]
    public async Task Image_json_round_trips_and_refuses_latest()
    {
        var path = Path.Combine(Path.GetTempPath(), "slipway-imagejson-" + Guid.NewGuid().ToString("N"), "image.json");
        try
        {
            var digest = "sha256:" + new string('a', 64);
            var file = new ImageManifestFile("127.0.0.1:5000/beacon", digest, $"127.0.0.1:5000/beacon@{digest}", ["1.2.3", "sha-abc1234"], "1.2.3",
                Version.Commit, Version.CommitTimeRfc3339, "sdk", "/tmp/layout", "sha256:" + new string('b', 64));
            await file.WriteAsync(path, TestContext.Current.CancellationToken);

            var read = await ImageManifestFile.ReadAsync(path, TestContext.Current.CancellationToken);
            Assert.Equal(file.Digest, read.Digest);
            Assert.Equal(file.Tags, read.Tags);
            Assert.Equal("127.0.0.1:5000/beacon", read.ParsedReference.Name);
            var json = await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken);
            Assert.Contains("\"localImageId\"", json);
            Assert.Contains("\"commitTime\"", json);

            var withLatest = file with { Tags = ["latest"] };
            Assert.Contains("latest", (await Assert.ThrowsAsync<ImageBuildException>(() => withLatest.WriteAsync(path, TestContext.Current.CancellationToken))).Message);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public async Task A_missing_image_json_says_to_run_containerize() =>
        Assert.Contains("Containerize", (await Assert.ThrowsAsync<ImageBuildException>(() =>
            ImageManifestFile.ReadAsync("/nonexistent/image.json", TestContext.Current.CancellationToken))).Message);
}
