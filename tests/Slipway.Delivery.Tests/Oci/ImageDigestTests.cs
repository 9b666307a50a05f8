using System.Text.Json;
using Slipway.Delivery.Oci;

namespace Slipway.Delivery.Tests.Oci;

/// <summary>The one reader of digests: every form an image is written in gives the same value, and text without a digest is refused the same way everywhere.</summary>
public sealed class ImageDigestTests
{
    static readonly string Hex = new('a', 64);
    static readonly string Digest = "sha256:" + Hex;

    [Theory]
    [InlineData("127.0.0.1:5000/beacon@sha256:")]
    [InlineData("127.0.0.1:5000/beacon:1.2.3@sha256:")]
    [InlineData("sha256:")]
    public void Every_written_form_gives_the_same_digest(string prefix)
    {
        var digest = ImageDigest.Of(prefix + Hex);

        Assert.Equal(Digest, digest.Value);
        Assert.Equal(ImageDigest.Parse(Digest), digest);
        Assert.Equal(Hex[..12], digest.Short);
    }

    [Theory]
    [InlineData("127.0.0.1:5000/beacon:1.2.3")]
    [InlineData("127.0.0.1:5000/beacon")]
    [InlineData("127.0.0.1:5000/beacon@sha256:abc")]
    [InlineData("sha512:aaaa")]
    [InlineData("")]
    public void Text_without_a_digest_is_refused_with_the_fix(string text)
    {
        Assert.Null(ImageDigest.TryOf(text));
        var error = Assert.Throws<FormatException>(() => ImageDigest.Of(text));
        Assert.Contains("repository@sha256:<64 hex>", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void It_travels_through_json_as_its_text_and_refuses_other_text()
    {
        var json = JsonSerializer.Serialize(new { Digest = ImageDigest.Parse(Digest) });
        Assert.Equal($$"""{"Digest":"{{Digest}}"}""", json);
        Assert.Equal(ImageDigest.Parse(Digest), JsonSerializer.Deserialize<ImageDigest>($"\"{Digest}\""));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<ImageDigest>("\"beacon:latest\""));
    }

    [Fact]
    public void A_default_value_says_how_to_make_one()
    {
        var error = Assert.Throws<InvalidOperationException>(() => default(ImageDigest).Value);
        Assert.Contains("ImageDigest.Parse", error.Message, StringComparison.Ordinal);
    }
}
