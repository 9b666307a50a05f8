using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Slipway.Delivery.SupplyChain;

/// <summary>One signature of a DSSE envelope: base64 of the DER ECDSA signature, and an optional key id (cosign leaves it empty).</summary>
public sealed record DsseSignature(string KeyId, byte[] Signature);

/// <summary>
/// A DSSE envelope (secure-systems-lab/dsse, envelope.md and protocol.md): <c>{"payloadType","payload","signatures":[{"keyid","sig"}]}</c>,
/// payload and sig in standard base64, each signature over the Pre-Authentication Encoding of type and payload.
/// </summary>
public sealed record DsseEnvelope(string PayloadType, byte[] Payload, IReadOnlyList<DsseSignature> Signatures)
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths as ASCII decimal byte counts.</summary>
    public static byte[] PreAuthenticationEncoding(string payloadType, ReadOnlySpan<byte> payload)
    {
        var type = Encoding.UTF8.GetBytes(payloadType);
        var header = Encoding.ASCII.GetBytes(FormattableString.Invariant($"DSSEv1 {type.Length} "));
        var middle = Encoding.ASCII.GetBytes(FormattableString.Invariant($" {payload.Length} "));
        var result = new byte[header.Length + type.Length + middle.Length + payload.Length];
        header.CopyTo(result, 0);
        type.CopyTo(result, header.Length);
        middle.CopyTo(result, header.Length + type.Length);
        payload.CopyTo(result.AsSpan(header.Length + type.Length + middle.Length));
        return result;
    }

    public static DsseEnvelope Sign(string payloadType, byte[] payload, SigningKey key) =>
        new(payloadType, payload, [new DsseSignature("", key.Sign(PreAuthenticationEncoding(payloadType, payload)))]);

    /// <summary>Whether at least one signature verifies with <paramref name="key"/> over PAE(payloadType, payload).</summary>
    public bool IsSignedBy(VerificationKey key)
    {
        var signed = PreAuthenticationEncoding(PayloadType, Payload);
        return Signatures.Any(signature => key.Verify(signed, signature.Signature));
    }

    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("payloadType", PayloadType);
            writer.WriteString("payload", Convert.ToBase64String(Payload));
            writer.WriteStartArray("signatures");
            foreach (var signature in Signatures)
            {
                writer.WriteStartObject();
                writer.WriteString("keyid", signature.KeyId);
                writer.WriteString("sig", Convert.ToBase64String(signature.Signature));
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    public static DsseEnvelope Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            var type = root.GetProperty("payloadType").GetString() ?? throw new FormatException("the envelope's payloadType is null.");
            var payload = Convert.FromBase64String(root.GetProperty("payload").GetString() ?? "");
            var signatures = root.GetProperty("signatures").EnumerateArray()
                .Select(signature => new DsseSignature(
                    signature.TryGetProperty("keyid", out var keyId) && keyId.ValueKind == JsonValueKind.String ? keyId.GetString()! : "",
                    Convert.FromBase64String(signature.GetProperty("sig").GetString() ?? "")))
                .ToList();
            return new DsseEnvelope(type, payload, signatures);
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"not a DSSE envelope ({exception.Message}).", exception);
        }
    }
}
