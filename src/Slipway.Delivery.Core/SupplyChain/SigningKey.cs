using System.Security.Cryptography;

namespace Slipway.Delivery.SupplyChain;

/// <summary>
/// An ECDSA P-256 signing key, the scheme every cosign verifier supports. The private key is stored as a PKCS#8 PEM
/// file with mode 600; the public key is exported as a SubjectPublicKeyInfo PEM (what <c>cosign verify --key</c> and
/// <c>openssl dgst -verify</c> read). Never log it, never pass it on a command line.
/// </summary>
public sealed class SigningKey : IDisposable
{
    private readonly ECDsa ecdsa;

    private SigningKey(ECDsa ecdsa) => this.ecdsa = ecdsa;

    public static SigningKey Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Reads a PKCS#8 (or SEC1 "EC PRIVATE KEY") PEM holding a P-256 key.</summary>
    public static SigningKey FromPrivateKeyPem(string pem)
    {
        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportFromPem(pem);
            if (ecdsa.KeySize != 256 || ecdsa.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
                throw new CryptographicException("the key is not an ECDSA P-256 key.");
            return new SigningKey(ecdsa);
        }
        catch (Exception exception) when (exception is ArgumentException or CryptographicException)
        {
            ecdsa.Dispose();
            // The exception text never quotes the PEM: it holds the secret.
            throw new CryptographicException($"not an ECDSA P-256 private key in PEM form ({exception.GetType().Name}).", exception);
        }
    }

    public static async Task<SigningKey> ReadAsync(string privateKeyPath, CancellationToken ct = default) =>
        FromPrivateKeyPem(await File.ReadAllTextAsync(privateKeyPath, ct));

    /// <summary>
    /// The key at <paramref name="privateKeyPath"/>, generated there (mode 600) when absent; the public key is (re)written
    /// to <paramref name="publicKeyPath"/> either way. What Infrastructure calls once per machine; returns whether it generated.
    /// </summary>
    public static async Task<(SigningKey Key, bool Generated)> LoadOrCreateAsync(string privateKeyPath, string publicKeyPath, CancellationToken ct = default)
    {
        var generated = !File.Exists(privateKeyPath);
        var key = generated ? Generate() : await ReadAsync(privateKeyPath, ct);
        try
        {
            if (generated) await key.WritePrivateKeyAsync(privateKeyPath, ct);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(publicKeyPath))!);
            await key.WritePublicKeyAsync(publicKeyPath, ct);
            return (key, generated);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>The public half as a SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY"), like cosign.pub.</summary>
    public string PublicKeyPem => ecdsa.ExportSubjectPublicKeyInfoPem();

    public VerificationKey PublicKey => VerificationKey.FromPem(PublicKeyPem);

    /// <summary>Writes the private key as PKCS#8 PEM, creating the file with mode 600 before any byte of the key is in it.</summary>
    public async Task WritePrivateKeyAsync(string path, CancellationToken ct = default)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await using (var stream = new FileStream(path, options))
        await using (var writer = new StreamWriter(stream))
            await writer.WriteAsync(ecdsa.ExportPkcs8PrivateKeyPem().AsMemory(), ct);
        // An existing file keeps its mode on FileMode.Create: tighten it as well.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public Task WritePublicKeyAsync(string path, CancellationToken ct = default) => File.WriteAllTextAsync(path, PublicKeyPem, ct);

    /// <summary>ECDSA-SHA256 over <paramref name="data"/>, ASN.1 DER encoded (what cosign and openssl produce and expect).</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) =>
        ecdsa.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    public void Dispose() => ecdsa.Dispose();
}

/// <summary>The public key a verifier checks signatures with (SubjectPublicKeyInfo PEM, ECDSA P-256).</summary>
public sealed class VerificationKey
{
    private readonly byte[] subjectPublicKeyInfo;

    private VerificationKey(byte[] subjectPublicKeyInfo) => this.subjectPublicKeyInfo = subjectPublicKeyInfo;

    public static VerificationKey FromPem(string pem)
    {
        using var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportFromPem(pem);
        }
        catch (ArgumentException exception)
        {
            throw new CryptographicException("not an ECDSA public key in PEM form (expected -----BEGIN PUBLIC KEY-----).", exception);
        }
        if (ecdsa.KeySize != 256)
            throw new CryptographicException($"the public key is ECDSA with {ecdsa.KeySize} bits; Slipway signs with P-256.");
        return new VerificationKey(ecdsa.ExportSubjectPublicKeyInfo());
    }

    public string Pem => PemEncoding.WriteString("PUBLIC KEY", subjectPublicKeyInfo);

    /// <summary>Whether <paramref name="derSignature"/> is a valid ECDSA-SHA256 signature of <paramref name="data"/> by this key.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> derSignature)
    {
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
        try
        {
            return ecdsa.VerifyData(data, derSignature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;   // not a DER signature at all
        }
    }
}
