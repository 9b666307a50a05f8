using System.Text.Encodings.Web;
using System.Text.Json;
using Slipway.Delivery.Oci;
using Slipway.Delivery.Registry;

namespace Slipway.Delivery.SupplyChain;

/// <summary>One layer of a .sig or .att image: the blob's descriptor and its annotations (the signature, the predicateType).</summary>
public sealed record CosignLayer(OciDescriptor Descriptor, IReadOnlyDictionary<string, string> Annotations)
{
    public string? Annotation(string key) => Annotations.TryGetValue(key, out var value) ? value : null;
}

/// <summary>
/// The OCI image manifest cosign writes for signatures and attestations: config of type
/// application/vnd.oci.image.config.v1+json holding go-containerregistry's empty image config with one diff_id per layer
/// (<c>{"architecture":"","created":"0001-01-01T00:00:00Z","history":[…],"os":"","rootfs":{"type":"layers","diff_ids":[…]},"config":{}}</c>),
/// one layer per signature or attestation. Descriptor fields in go-containerregistry's order (mediaType, size, digest, annotations).
/// </summary>
public static class CosignManifest
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private const string ZeroTime = "0001-01-01T00:00:00Z";

    /// <summary>The manifest bytes and the config blob to push with it (layers' blobs are the caller's).</summary>
    public static (byte[] Manifest, RegistryBlob Config) Build(IReadOnlyList<CosignLayer> layers)
    {
        var config = RegistryBlob.Of(OciMediaTypes.ImageConfig, Write(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("architecture", "");
            writer.WriteString("created", ZeroTime);
            writer.WriteStartArray("history");
            foreach (var _ in layers)
            {
                writer.WriteStartObject();
                writer.WriteString("created", ZeroTime);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteString("os", "");
            writer.WriteStartObject("rootfs");
            writer.WriteString("type", "layers");
            writer.WriteStartArray("diff_ids");
            // The blobs are stored uncompressed, so each layer's diff_id is its digest.
            foreach (var layer in layers) writer.WriteStringValue(layer.Descriptor.Digest);
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteStartObject("config");
            writer.WriteEndObject();
            writer.WriteEndObject();
        }));
        var manifest = Write(writer =>
        {
            writer.WriteStartObject();
            writer.WriteNumber("schemaVersion", 2);
            writer.WriteString("mediaType", OciMediaTypes.ImageManifest);
            writer.WritePropertyName("config");
            WriteDescriptor(writer, config.Descriptor, null);
            writer.WriteStartArray("layers");
            foreach (var layer in layers) WriteDescriptor(writer, layer.Descriptor, layer.Annotations);
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
        return (manifest, config);
    }

    /// <summary>The layers of a .sig/.att manifest with their annotations.</summary>
    public static IReadOnlyList<CosignLayer> ParseLayers(byte[] manifest)
    {
        try
        {
            using var document = JsonDocument.Parse(manifest);
            if (!document.RootElement.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
                throw new FormatException("the manifest has no layers array.");
            return layers.EnumerateArray().Select(layer =>
            {
                var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
                if (layer.TryGetProperty("annotations", out var found) && found.ValueKind == JsonValueKind.Object)
                    foreach (var annotation in found.EnumerateObject())
                        annotations[annotation.Name] = annotation.Value.ValueKind == JsonValueKind.String ? annotation.Value.GetString()! : "";
                return new CosignLayer(new OciDescriptor(
                    layer.GetProperty("mediaType").GetString() ?? "",
                    layer.GetProperty("digest").GetString() ?? "",
                    layer.GetProperty("size").GetInt64()), annotations);
            }).ToList();
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"the manifest is not an image manifest ({exception.Message}).", exception);
        }
    }

    private static void WriteDescriptor(Utf8JsonWriter writer, OciDescriptor descriptor, IReadOnlyDictionary<string, string>? annotations)
    {
        writer.WriteStartObject();
        writer.WriteString("mediaType", descriptor.MediaType);
        writer.WriteNumber("size", descriptor.Size);
        writer.WriteString("digest", descriptor.Digest);
        if (annotations is { Count: > 0 })
        {
            writer.WriteStartObject("annotations");
            foreach (var (key, value) in annotations.OrderBy(pair => pair.Key, StringComparer.Ordinal)) writer.WriteString(key, value);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions)) write(writer);
        return buffer.ToArray();
    }
}
