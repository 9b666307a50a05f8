using System.Text.Encodings.Web;
using System.Text.Json;

namespace Slipway.Delivery.SupplyChain;

/// <summary>
/// The payload cosign signs for an image: the "simple signing" JSON of containers/image, byte for byte as
/// sigstore's payload.Cosign marshals it (Go's encoding/json over SimpleContainerImage: fields in declaration order,
/// no whitespace, <c>"optional":null</c> when there are no annotations):
/// <c>{"critical":{"identity":{"docker-reference":"R"},"image":{"docker-manifest-digest":"D"},"type":"cosign container image signature"},"optional":null}</c>.
/// </summary>
public sealed record SimpleSigningPayload(string DockerReference, string ManifestDigest, string Type)
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static SimpleSigningPayload For(string dockerReference, string manifestDigest) =>
        new(dockerReference, manifestDigest, CosignFormat.SignatureType);

    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("critical");
            writer.WriteStartObject("identity");
            writer.WriteString("docker-reference", DockerReference);
            writer.WriteEndObject();
            writer.WriteStartObject("image");
            writer.WriteString("docker-manifest-digest", ManifestDigest);
            writer.WriteEndObject();
            writer.WriteString("type", Type);
            writer.WriteEndObject();
            writer.WriteNull("optional");
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Reads a payload; a <see cref="FormatException"/> names the missing or malformed field.</summary>
    public static SimpleSigningPayload Parse(ReadOnlySpan<byte> payload)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload.ToArray());
        }
        catch (JsonException exception)
        {
            throw new FormatException($"the signed payload is not JSON ({exception.Message}).", exception);
        }
        using (document)
        {
            var critical = Object(document.RootElement, "critical", "payload");
            return new SimpleSigningPayload(
                Text(Object(critical, "identity", "critical"), "docker-reference", "critical.identity"),
                Text(Object(critical, "image", "critical"), "docker-manifest-digest", "critical.image"),
                Text(critical, "type", "critical"));
        }
    }

    private static JsonElement Object(JsonElement parent, string name, string where) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object
            ? value
            : throw new FormatException($"the signed payload has no object '{name}' in {where}.");

    private static string Text(JsonElement parent, string name, string where) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new FormatException($"the signed payload has no string '{name}' in {where}.");
}
