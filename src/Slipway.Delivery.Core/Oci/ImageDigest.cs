using System.Text.Json;
using System.Text.Json.Serialization;

namespace Slipway.Delivery.Oci;

/// <summary>
/// An image's content digest, <c>sha256:&lt;64 lowercase hex&gt;</c>: the one typed value that names what runs, from the
/// build's image.json through trailers, manifests, container labels and status. The only place that reads a digest out
/// of an image reference, so every caller agrees on what "repository@sha256:…" and a bare digest mean.
/// </summary>
[JsonConverter(typeof(ImageDigestJsonConverter))]
public readonly record struct ImageDigest
{
    readonly string? value;

    ImageDigest(string value) => this.value = value;

    /// <summary>The digest's text, <c>sha256:…</c>.</summary>
    public string Value => value ?? throw new InvalidOperationException("An ImageDigest was used without a value (default(ImageDigest)); parse one with ImageDigest.Parse or ImageDigest.Of.");

    /// <summary>The 64 hex digits.</summary>
    public string Hex => Value[Sha256Digest.Prefix.Length..];

    /// <summary>The first 12 hex digits, as Docker shows an id.</summary>
    public string Short => Hex[..12];

    public override string ToString() => Value;

    public static bool TryParse(string? text, out ImageDigest digest)
    {
        digest = text is not null && ImageReference.DigestPattern().IsMatch(text) ? new ImageDigest(text) : default;
        return digest.value is not null;
    }

    /// <summary>A bare digest; a clear error for anything else.</summary>
    public static ImageDigest Parse(string text) => TryParse(text, out var digest)
        ? digest
        : throw new FormatException($"'{text}' is not an image digest: expected sha256: followed by 64 lowercase hex digits.");

    /// <summary>The digest of "repository[:tag]@sha256:…", or a bare digest as it is; null when the text names none.</summary>
    public static ImageDigest? TryOf(string? imageOrDigest)
    {
        if (string.IsNullOrWhiteSpace(imageOrDigest)) return null;
        var at = imageOrDigest.LastIndexOf('@');
        return TryParse(at < 0 ? imageOrDigest : imageOrDigest[(at + 1)..], out var digest) ? digest : null;
    }

    /// <summary>The digest of "repository[:tag]@sha256:…" or a bare digest; a clear error when the text names none.</summary>
    public static ImageDigest Of(string imageOrDigest) => TryOf(imageOrDigest)
        ?? throw new FormatException($"'{imageOrDigest}' names no image digest: pin the image as repository@sha256:<64 hex> (or give the bare digest).");
}

/// <summary>Writes and reads an <see cref="ImageDigest"/> as its text, refusing anything that is not a digest.</summary>
public sealed class ImageDigestJsonConverter : JsonConverter<ImageDigest>
{
    public override ImageDigest Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        return ImageDigest.TryParse(text, out var digest) ? digest : throw new JsonException($"'{text}' is not an image digest (sha256:<64 hex>).");
    }

    public override void Write(Utf8JsonWriter writer, ImageDigest value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);
}
