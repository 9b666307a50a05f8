using Slipway.Delivery.Oci;

namespace Slipway.Delivery.Tests.Oci;

public sealed class ImageReferenceTests
{
    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("127.0.0.1:5000/beacon:1.2.3", "127.0.0.1:5000", "beacon", "1.2.3", null)]
    [InlineData("127.0.0.1:5000/slipway/base@" + Digest, "127.0.0.1:5000", "slipway/base", null, Digest)]
    [InlineData("localhost/team/app:v1@" + Digest, "localhost", "team/app", "v1", Digest)]
    [InlineData("ghcr.io/org/my-app.web__x:sha-abc1234", "ghcr.io", "org/my-app.web__x", "sha-abc1234", null)]
    [InlineData("localhost:5000/beacon", "localhost:5000", "beacon", null, null)]
    [InlineData("ubuntu:24.04", "docker.io", "library/ubuntu", "24.04", null)]
    [InlineData("someone/tool", "docker.io", "someone/tool", null, null)]
    public void Parse_splits_registry_repository_tag_and_digest(string text, string registry, string repository, string? tag, string? digest)
    {
        var reference = ImageReference.Parse(text);

        Assert.Equal(new ImageReference(registry, repository, tag, digest), reference);
    }

    [Theory]
    [InlineData("127.0.0.1:5000/beacon:1.2.3")]
    [InlineData("127.0.0.1:5000/slipway/base@" + Digest)]
    [InlineData("127.0.0.1:5000/slipway/base:1@" + Digest)]
    public void ToString_round_trips(string text) => Assert.Equal(text, ImageReference.Parse(text).ToString());

    [Theory]
    [InlineData("", "empty")]
    [InlineData("127.0.0.1:5000/Beacon:1", "lowercase")]
    [InlineData("127.0.0.1:5000/beacon:-bad", "not a valid tag")]
    [InlineData("127.0.0.1:5000/beacon@sha256:abc", "invalid digest")]
    [InlineData("127.0.0.1:5000/beacon@md5:0123456789abcdef0123456789abcdef", "invalid digest")]
    [InlineData("127.0.0.1:5000/", "not a valid repository")]
    [InlineData("127.0.0.1:5000/be//acon", "not a valid repository")]
    public void Parse_rejects_bad_input_with_a_clear_message(string text, string expected)
    {
        var exception = Assert.Throws<FormatException>(() => ImageReference.Parse(text));

        Assert.Contains(expected, exception.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(ImageReference.TryParse(text, out _));
    }

    [Fact]
    public void WithTag_and_WithDigest_keep_the_repository()
    {
        var reference = ImageReference.Parse("127.0.0.1:5000/beacon:1.0.0");

        Assert.Equal("127.0.0.1:5000/beacon:2.0.0", reference.WithTag("2.0.0").ToString());
        Assert.Equal("127.0.0.1:5000/beacon:1.0.0@" + Digest, reference.WithDigest(Digest).ToString());
        Assert.Equal("127.0.0.1:5000/beacon", reference.WithoutTagOrDigest().ToString());
        Assert.Throws<FormatException>(() => reference.WithTag("no spaces"));
    }

    [Fact]
    public void ManifestReference_prefers_the_digest()
    {
        Assert.Equal(Digest, ImageReference.Parse("127.0.0.1:5000/beacon:1@" + Digest).ManifestReference);
        Assert.Equal("1", ImageReference.Parse("127.0.0.1:5000/beacon:1").ManifestReference);
        Assert.Throws<InvalidOperationException>(() => ImageReference.Parse("127.0.0.1:5000/beacon").ManifestReference);
    }
}
