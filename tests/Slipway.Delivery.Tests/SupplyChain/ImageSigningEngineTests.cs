using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;
using Slipway.Delivery.Oci;
using Slipway.Delivery.Registry;
using Slipway.Delivery.SupplyChain;
using Slipway.Delivery.Tests.Oci;
using Slipway.Delivery.Tests.Registry;
using Slipway.Testing;

namespace Slipway.Delivery.Tests.SupplyChain;

/// <summary>
/// Real-engine tier: signs an image in a REAL registry (Debian's docker-registry) and verifies it OUTSIDE Slipway's code —
/// plain HTTP for the manifests and blobs, openssl for the ECDSA signatures, JsonDocument for the payloads.
/// </summary>
[Trait("Tier", "Engine")]
public sealed class ImageSigningEngineTests(RegistryFixture registryProcess) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly TempDirectory temp = new();
    private readonly TestLog log = new();
    private readonly HttpClient http = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        http.Dispose();
        temp.Dispose();
    }

    private async Task<(RegistryClient Client, ImageReference Image)> PushedImageAsync(string name)
    {
        var client = new RegistryClient(log.Logger, _ => null);
        var image = await TestImages.CreateAsync(temp.Combine(name), "supply chain " + name);
        var repository = ImageReference.Parse($"{registryProcess.Host}/slipway/{name}-{Guid.NewGuid().ToString("N")[..8]}");
        var pushed = await client.PushAsync(image, repository, ["1.0.0"], Ct);
        return (client, pushed.Pushed);
    }

    [Fact]
    public async Task Openssl_verifies_the_signature_fetched_with_plain_HTTP_with_the_right_key_only()
    {
        var (client, image) = await PushedImageAsync("openssl");
        using var _ = client;
        using var key = SigningKey.Generate();
        using var other = SigningKey.Generate();
        await ImageSigner.SignAndAttestAsync(client, image, SupplyChainSamples.Sbom(image), SupplyChainSamples.Provenance(), key, Ct);

        // Independent of Slipway: the .sig manifest by its cosign tag, its one layer, the payload blob.
        using var manifest = await GetJsonAsync($"manifests/{CosignFormat.SignatureTag(image.Digest!)}", image);
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", manifest.RootElement.GetProperty("mediaType").GetString());
        Assert.Equal("application/vnd.oci.image.config.v1+json", manifest.RootElement.GetProperty("config").GetProperty("mediaType").GetString());
        var layer = Assert.Single(manifest.RootElement.GetProperty("layers").EnumerateArray());
        Assert.Equal("application/vnd.dev.cosign.simplesigning.v1+json", layer.GetProperty("mediaType").GetString());
        var payload = await GetBytesAsync($"blobs/{layer.GetProperty("digest").GetString()}", image);
        var signature = Convert.FromBase64String(layer.GetProperty("annotations").GetProperty("dev.cosignproject.cosign/signature").GetString()!);
        await File.WriteAllBytesAsync(temp.Combine("payload.json"), payload, Ct);
        await File.WriteAllBytesAsync(temp.Combine("sig.der"), signature, Ct);
        await File.WriteAllTextAsync(temp.Combine("pub.pem"), key.PublicKeyPem, Ct);
        await File.WriteAllTextAsync(temp.Combine("other.pem"), other.PublicKeyPem, Ct);

        var right = await OpensslVerifyAsync("pub.pem", "sig.der", "payload.json");
        var wrong = await OpensslVerifyAsync("other.pem", "sig.der", "payload.json");

        Assert.Equal(0, right.ExitCode);
        Assert.Contains("Verified OK", right.StandardOutput);
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("Verification failure", wrong.StandardOutput + wrong.StandardError);
        using var claims = JsonDocument.Parse(payload);
        var critical = claims.RootElement.GetProperty("critical");
        Assert.Equal(image.Digest, critical.GetProperty("image").GetProperty("docker-manifest-digest").GetString());
        Assert.Equal("cosign container image signature", critical.GetProperty("type").GetString());
        Assert.Equal($"{registryProcess.Host}/{image.Repository}", critical.GetProperty("identity").GetProperty("docker-reference").GetString());
        Assert.Equal(JsonValueKind.Null, claims.RootElement.GetProperty("optional").ValueKind);
    }

    [Fact]
    public async Task The_attestations_fetched_with_plain_HTTP_are_DSSE_envelopes_openssl_verifies_holding_CycloneDX_and_SLSA_statements()
    {
        var (client, image) = await PushedImageAsync("attest");
        using var _ = client;
        using var key = SigningKey.Generate();
        await ImageSigner.SignAndAttestAsync(client, image, SupplyChainSamples.Sbom(image), SupplyChainSamples.Provenance(), key, Ct);
        await File.WriteAllTextAsync(temp.Combine("pub.pem"), key.PublicKeyPem, Ct);

        using var manifest = await GetJsonAsync($"manifests/{CosignFormat.AttestationTag(image.Digest!)}", image);
        var layers = manifest.RootElement.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(2, layers.Count);
        var predicates = new Dictionary<string, JsonElement>();
        foreach (var layer in layers)
        {
            Assert.Equal("application/vnd.dsse.envelope.v1+json", layer.GetProperty("mediaType").GetString());
            var declared = layer.GetProperty("annotations").GetProperty("predicateType").GetString()!;
            using var envelope = JsonDocument.Parse(await GetBytesAsync($"blobs/{layer.GetProperty("digest").GetString()}", image));
            var payloadType = envelope.RootElement.GetProperty("payloadType").GetString()!;
            var statementBytes = Convert.FromBase64String(envelope.RootElement.GetProperty("payload").GetString()!);
            Assert.Equal("application/vnd.in-toto+json", payloadType);

            // DSSE v1 PAE, built here by hand: "DSSEv1 <len type> <type> <len payload> <payload>".
            var pae = Encoding.ASCII.GetBytes($"DSSEv1 {payloadType.Length} {payloadType} {statementBytes.Length} ").Concat(statementBytes).ToArray();
            var name = declared.Contains("cyclonedx", StringComparison.Ordinal) ? "sbom" : "provenance";
            await File.WriteAllBytesAsync(temp.Combine(name + ".pae"), pae, Ct);
            await File.WriteAllBytesAsync(temp.Combine(name + ".sig"),
                Convert.FromBase64String(envelope.RootElement.GetProperty("signatures")[0].GetProperty("sig").GetString()!), Ct);
            var verified = await OpensslVerifyAsync("pub.pem", name + ".sig", name + ".pae");
            Assert.True(verified.ExitCode == 0, verified.StandardOutput + verified.StandardError);

            using var statement = JsonDocument.Parse(statementBytes);
            Assert.Equal("https://in-toto.io/Statement/v1", statement.RootElement.GetProperty("_type").GetString());
            Assert.Equal(declared, statement.RootElement.GetProperty("predicateType").GetString());
            var subject = Assert.Single(statement.RootElement.GetProperty("subject").EnumerateArray());
            Assert.Equal($"{registryProcess.Host}/{image.Repository}", subject.GetProperty("name").GetString());
            Assert.Equal(Sha256Digest.Hex(image.Digest!), subject.GetProperty("digest").GetProperty("sha256").GetString());
            predicates[declared] = statement.RootElement.GetProperty("predicate").Clone();
        }

        var bom = predicates["https://cyclonedx.org/bom"];
        Assert.Equal("CycloneDX", bom.GetProperty("bomFormat").GetString());
        Assert.Equal("1.6", bom.GetProperty("specVersion").GetString());
        Assert.Contains(bom.GetProperty("components").EnumerateArray(), component => component.GetProperty("purl").GetString() == "pkg:nuget/Serilog@4.4.0");
        var provenance = predicates["https://slsa.dev/provenance/v1"];
        Assert.Equal("0123456789abcdef0123456789abcdef01234567",
            provenance.GetProperty("buildDefinition").GetProperty("resolvedDependencies")[0].GetProperty("digest").GetProperty("gitCommit").GetString());
        Assert.Equal("run-42", provenance.GetProperty("runDetails").GetProperty("metadata").GetProperty("invocationId").GetString());
        Assert.DoesNotContain("hunter2", provenance.GetRawText());
    }

    [Fact]
    public async Task The_verifier_accepts_the_signed_image_and_refuses_a_tampered_SBOM_on_a_real_registry()
    {
        var (client, image) = await PushedImageAsync("verify");
        using var _ = client;
        using var key = SigningKey.Generate();
        await ImageSigner.SignAndAttestAsync(client, image, SupplyChainSamples.Sbom(image), SupplyChainSamples.Provenance(), key, Ct);

        var verified = await ImageVerifier.VerifyAsync(client, image, key.PublicKeyPem, VerificationMode.Enforce, ct: Ct);
        await SbomTampering.ReplaceSbomVersionAsync(client, image.WithoutTagOrDigest(), image.Digest!, "Serilog", "9.9.9", Ct);
        var tampered = await ImageVerifier.VerifyAsync(client, image, key.PublicKeyPem, VerificationMode.Enforce, ct: Ct);

        Assert.Equal(SupplyChainSamples.Packages.Count, Assert.IsType<ImageVerdict.Verified>(verified).Sbom!.Components.Count);
        Assert.Contains("changed after signing", Assert.IsType<ImageVerdict.Invalid>(tampered).Reason);
        Assert.False(tampered.Permitted);
    }

    [Fact]
    public async Task Distribution_2_8_has_no_referrers_API_so_the_tag_scheme_is_what_runs()
    {
        var (client, image) = await PushedImageAsync("referrers");
        using var _ = client;

        Assert.False(await client.SupportsReferrersAsync(image, Ct));
    }

    private async Task<JsonDocument> GetJsonAsync(string path, ImageReference image)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{registryProcess.Host}/v2/{image.Repository}/{path}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.oci.image.manifest.v1+json"));
        using var response = await http.SendAsync(request, Ct);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode}");
        return JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(Ct));
    }

    private async Task<byte[]> GetBytesAsync(string path, ImageReference image) =>
        await http.GetByteArrayAsync($"http://{registryProcess.Host}/v2/{image.Repository}/{path}", Ct);

    private async Task<BufferedCommandResult> OpensslVerifyAsync(string publicKey, string signature, string data)
    {
        string[] arguments = ["dgst", "-sha256", "-verify", publicKey, "-signature", signature, data];
        TestContext.Current.TestOutputHelper?.WriteLine("openssl " + string.Join(' ', arguments));
        return await Cli.Wrap("openssl").WithArguments(arguments).WithWorkingDirectory(temp.Path)
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(Ct);
    }
}
