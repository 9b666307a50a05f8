using System.Text;
using Slipway.Delivery.Oci;
using Slipway.Delivery.SupplyChain;

namespace Slipway.Delivery.Tests.SupplyChain;

public sealed class SimpleSigningPayloadTests
{
    private const string Digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    [Fact]
    public void The_payload_is_byte_for_byte_what_cosign_marshals()
    {
        var payload = SimpleSigningPayload.For("127.0.0.1:5000/slipway/beacon", Digest).ToBytes();

        Assert.Equal(
            """{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/slipway/beacon"},"image":{"docker-manifest-digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111"},"type":"cosign container image signature"},"optional":null}""",
            Encoding.UTF8.GetString(payload));
    }

    [Fact]
    public void A_payload_reads_back_and_missing_fields_are_named()
    {
        var parsed = SimpleSigningPayload.Parse(SimpleSigningPayload.For("r.example/app", Digest).ToBytes());

        Assert.Equal(new SimpleSigningPayload("r.example/app", Digest, CosignFormat.SignatureType), parsed);
        var missing = Assert.Throws<FormatException>(() => SimpleSigningPayload.Parse("""{"critical":{"identity":{},"image":{},"type":"x"}}"""u8));
        Assert.Contains("docker-reference", missing.Message);
        Assert.Throws<FormatException>(() => SimpleSigningPayload.Parse("not json"u8));
    }

    [Theory]
    [InlineData("127.0.0.1:5000/beacon", "127.0.0.1:5000/beacon")]
    [InlineData("registry.example.com/team/app:1.0", "registry.example.com/team/app")]
    [InlineData("nginx", "index.docker.io/library/nginx")]
    public void The_repository_identity_is_go_containerregistry_s_repository_name(string reference, string identity) =>
        Assert.Equal(identity, CosignFormat.RepositoryIdentity(ImageReference.Parse(reference)));

    [Fact]
    public void Signature_and_attestation_tags_encode_the_digest() 
    {
        Assert.Equal("sha256-" + new string('1', 64) + ".sig", CosignFormat.SignatureTag(Digest));
        Assert.Equal("sha256-" + new string('1', 64) + ".att", CosignFormat.AttestationTag(Digest));
    }
}
