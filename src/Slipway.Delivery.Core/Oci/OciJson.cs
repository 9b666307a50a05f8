using System.Text.Encodings.Web;
using System.Text.Json;

namespace Slipway.Delivery.Oci;

/// <summary>
/// Writes the layout's JSON documents byte for byte the same for the same content: fixed property order, no
/// whitespace, annotations sorted, no escaping of '+' in media types. A manifest's digest is the sha256 of these bytes.
/// </summary>
internal static class OciJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] ImageManifest(OciDescriptor config, IReadOnlyList<OciDescriptor> layers, IReadOnlyDictionary<string, string>? annotations) =>
        Write(writer =>
        {
            writer.WriteStartObject();
            writer.WriteNumber("schemaVersion", 2);
            writer.WriteString("mediaType", OciMediaTypes.ImageManifest);
            writer.WritePropertyName("config");
            WriteDescriptor(writer, config);
            writer.WriteStartArray("layers");
            foreach (var layer in layers) WriteDescriptor(writer, layer);
            writer.WriteEndArray();
            WriteAnnotations(writer, annotations);
            writer.WriteEndObject();
        });

    public static byte[] Index(OciDescriptor manifest) =>
        Write(writer =>
        {
            writer.WriteStartObject();
            writer.WriteNumber("schemaVersion", 2);
            writer.WriteString("mediaType", OciMediaTypes.ImageIndex);
            writer.WriteStartArray("manifests");
            WriteDescriptor(writer, manifest);
            writer.WriteEndArray();
            writer.WriteEndObject();
        });

    public static byte[] LayoutMarker() => """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray();

    private static void WriteDescriptor(Utf8JsonWriter writer, OciDescriptor descriptor)
    {
        writer.WriteStartObject();
        writer.WriteString("mediaType", descriptor.MediaType);
        writer.WriteString("digest", descriptor.Digest);
        writer.WriteNumber("size", descriptor.Size);
        writer.WriteEndObject();
    }

    private static void WriteAnnotations(Utf8JsonWriter writer, IReadOnlyDictionary<string, string>? annotations)
    {
        if (annotations is null || annotations.Count == 0) return;
        writer.WriteStartObject("annotations");
        foreach (var (key, value) in annotations.OrderBy(pair => pair.Key, StringComparer.Ordinal))
            writer.WriteString(key, value);
        writer.WriteEndObject();
    }

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions)) write(writer);
        return buffer.ToArray();
    }

    /// <summary>Reads a descriptor object ({mediaType, digest, size}) with clear errors.</summary>
    public static OciDescriptor ReadDescriptor(JsonElement element, string what, string? fallbackMediaType = null)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new FormatException($"{what} is not a descriptor object.");
        var mediaType = element.TryGetProperty("mediaType", out var type) && type.ValueKind == JsonValueKind.String
            ? type.GetString()!
            : fallbackMediaType ?? throw new FormatException($"{what} has no mediaType.");
        if (!element.TryGetProperty("digest", out var digest) || digest.ValueKind != JsonValueKind.String
            || !ImageReference.DigestPattern().IsMatch(digest.GetString()!))
            throw new FormatException($"{what} has no valid sha256 digest.");
        if (!element.TryGetProperty("size", out var size) || !size.TryGetInt64(out var bytes) || bytes < 0)
            throw new FormatException($"{what} has no valid size.");
        return new OciDescriptor(mediaType, digest.GetString()!, bytes);
    }

    /// <summary>Parses an image manifest (OCI or Docker schema 2) into its config and layers.</summary>
    public static (OciDescriptor Config, IReadOnlyList<OciDescriptor> Layers, IReadOnlyDictionary<string, string> Annotations) ParseImageManifest(byte[] manifest, string what)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(manifest);
        }
        catch (JsonException exception)
        {
            throw new FormatException($"{what} is not valid JSON: {exception.Message}", exception);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new FormatException($"{what} is not a JSON object.");
            if (!root.TryGetProperty("schemaVersion", out var schema) || !schema.TryGetInt32(out var version) || version != 2)
                throw new FormatException($"{what} is not a schemaVersion 2 image manifest.");
            if (root.TryGetProperty("manifests", out _))
                throw new FormatException($"{what} is an image index (a multi-platform list), not a single image manifest.");
            if (!root.TryGetProperty("config", out var config))
                throw new FormatException($"{what} has no config descriptor.");
            if (!root.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
                throw new FormatException($"{what} has no layers array.");
            var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("annotations", out var annotationsElement) && annotationsElement.ValueKind == JsonValueKind.Object)
                foreach (var property in annotationsElement.EnumerateObject())
                    annotations[property.Name] = property.Value.GetString() ?? "";
            return (
                ReadDescriptor(config, $"{what}: config"),
                layers.EnumerateArray().Select((layer, index) => ReadDescriptor(layer, $"{what}: layer {index}")).ToList(),
                annotations);
        }
    }
}
