using System.Security.Cryptography;
using System.Text;
using Slipway.Delivery.SupplyChain;
using Slipway.Delivery.Tests.Oci;

namespace Slipway.Delivery.Tests.SupplyChain;

public sealed class SigningKeyTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void A_signature_verifies_with_the_public_key_and_not_with_another()
    {
        using var key = SigningKey.Generate();
        using var other = SigningKey.Generate();
        var data = "payload"u8.ToArray();

        var signature = key.Sign(data);

        Assert.True(key.PublicKey.Verify(data, signature));
        Assert.False(other.PublicKey.Verify(data, signature));
        Assert.False(key.PublicKey.Verify("payload changed"u8, signature));
        Assert.False(key.PublicKey.Verify(data, "not a DER signature"u8));
        Assert.Equal(0x30, signature[0]);   // an ASN.1 DER SEQUENCE, as openssl and cosign expect
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]   // file modes are Unix's
    public async Task The_private_key_is_written_as_PKCS8_PEM_with_mode_600_and_reads_back()
    {
        using var key = SigningKey.Generate();
        var path = temp.Combine("keys/signing.key");
        await File.WriteAllTextAsync(temp.Combine("stale.key"), "x", TestContext.Current.CancellationToken);

        await key.WritePrivateKeyAsync(path, TestContext.Current.CancellationToken);
        await key.WritePrivateKeyAsync(temp.Combine("stale.key"), TestContext.Current.CancellationToken);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(temp.Combine("stale.key")));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        using var read = await SigningKey.ReadAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(key.PublicKeyPem, read.PublicKeyPem);
        Assert.True(key.PublicKey.Verify("x"u8, read.Sign("x"u8)));
    }

    [Fact]
    public async Task LoadOrCreate_generates_the_key_once_and_then_reads_the_same_key()
    {
        var privateKey = temp.Combine("platform/keys/signing.key");
        var publicKey = temp.Combine("config/keys/signing.pub");

        var (first, generated) = await SigningKey.LoadOrCreateAsync(privateKey, publicKey, TestContext.Current.CancellationToken);
        var (second, generatedAgain) = await SigningKey.LoadOrCreateAsync(privateKey, publicKey, TestContext.Current.CancellationToken);
        using var _ = first;
        using var __ = second;

        Assert.True(generated);
        Assert.False(generatedAgain);
        Assert.Equal(first.PublicKeyPem, second.PublicKeyPem);
        Assert.Equal(first.PublicKeyPem, await File.ReadAllTextAsync(publicKey, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void The_public_key_is_a_SubjectPublicKeyInfo_PEM_that_reads_back()
    {
        using var key = SigningKey.Generate();

        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", key.PublicKeyPem);
        Assert.Equal(key.PublicKeyPem, VerificationKey.FromPem(key.PublicKeyPem).Pem);
    }

    [Fact]
    public void Keys_other_than_P256_are_refused_without_quoting_the_key()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var pem = p384.ExportPkcs8PrivateKeyPem();

        var refused = Assert.Throws<CryptographicException>(() => SigningKey.FromPrivateKeyPem(pem));
        Assert.DoesNotContain(pem.Split('\n')[1], refused.ToString());
        Assert.Throws<CryptographicException>(() => VerificationKey.FromPem(p384.ExportSubjectPublicKeyInfoPem()));
        Assert.Throws<CryptographicException>(() => VerificationKey.FromPem(Encoding.ASCII.GetString("not a key"u8)));
    }
}
