using System.Text;
using System.Text.Json;
using Slipway.Delivery.SupplyChain;

namespace Slipway.Delivery.Tests.SupplyChain;

public sealed class DsseEnvelopeTests
{
    [Fact]
    public void PAE_matches_the_DSSE_specification_s_test_vector()
    {
        // secure-systems-lab/dsse protocol.md: PAE("http://example.com/HelloWorld", "hello world").
        var encoded = DsseEnvelope.PreAuthenticationEncoding("http://example.com/HelloWorld", "hello world"u8);

        Assert.Equal("DSSEv1 29 http://example.com/HelloWorld 11 hello world", Encoding.UTF8.GetString(encoded));
    }

    [Fact]
    public void PAE_counts_bytes_not_characters()
    {
        var encoded = DsseEnvelope.PreAuthenticationEncoding("t", "é"u8);

        Assert.Equal("DSSEv1 1 t 2 é", Encoding.UTF8.GetString(encoded));
        Assert.Equal("DSSEv1 0  0 ", Encoding.UTF8.GetString(DsseEnvelope.PreAuthenticationEncoding("", [])));
    }

    [Fact]
    public void An_envelope_round_trips_and_verifies_only_with_its_key_and_payload()
    {
        using var key = SigningKey.Generate();
        using var other = SigningKey.Generate();
        var envelope = DsseEnvelope.Sign(CosignFormat.InTotoPayloadType, """{"_type":"x"}"""u8.ToArray(), key);

        var read = DsseEnvelope.Parse(envelope.ToBytes());

        Assert.Equal(envelope.Payload, read.Payload);
        Assert.Equal(CosignFormat.InTotoPayloadType, read.PayloadType);
        Assert.True(read.IsSignedBy(key.PublicKey));
        Assert.False(read.IsSignedBy(other.PublicKey));
        Assert.False((read with { Payload = """{"_type":"y"}"""u8.ToArray() }).IsSignedBy(key.PublicKey));
        Assert.False((read with { PayloadType = "text/plain" }).IsSignedBy(key.PublicKey));
    }

    [Fact]
    public void The_envelope_JSON_has_DSSE_s_field_names_and_standard_base64()
    {
        using var key = SigningKey.Generate();
        var bytes = DsseEnvelope.Sign(CosignFormat.InTotoPayloadType, "{}"u8.ToArray(), key).ToBytes();

        using var json = JsonDocument.Parse(bytes);
        Assert.Equal(CosignFormat.InTotoPayloadType, json.RootElement.GetProperty("payloadType").GetString());
        Assert.Equal("e30=", json.RootElement.GetProperty("payload").GetString());
        var signature = Assert.Single(json.RootElement.GetProperty("signatures").EnumerateArray());
        Assert.Equal("", signature.GetProperty("keyid").GetString());
        Assert.True(key.PublicKey.Verify(DsseEnvelope.PreAuthenticationEncoding(CosignFormat.InTotoPayloadType, "{}"u8),
            Convert.FromBase64String(signature.GetProperty("sig").GetString()!)));
        Assert.Throws<FormatException>(() => DsseEnvelope.Parse("""{"payloadType":"x"}"""u8));
    }
}
