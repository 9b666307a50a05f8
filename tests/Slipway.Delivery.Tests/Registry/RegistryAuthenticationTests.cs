using Slipway.Delivery.Oci;
using Slipway.Delivery.Registry;
using Slipway.Testing;
using Slipway.Delivery.Tests.Oci;

namespace Slipway.Delivery.Tests.Registry;

/// <summary>Registries with authentication: htpasswd (Basic) and token (Bearer challenge with a token service).</summary>
[Trait("Tier", "Engine")]
public sealed class RegistryAuthenticationTests : IDisposable
{
    private static readonly RegistryCredentials Valid = new("slipway", "s3cret-pass");
    // bcrypt (cost 5) of "s3cret-pass", as `htpasswd -B` writes it.
    private const string HtpasswdLine = "slipway:$2b$05$wJg/QIfP1aLA7pGhSO.3beFV/cPl6fejoB9DziPQfvOI.WrYzIG0S";

    private readonly TempDirectory temp = new();
    private readonly TestLog log = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Basic_auth_pushes_with_credentials_and_refuses_without()
    {
        var htpasswd = temp.Combine("htpasswd");
        await File.WriteAllTextAsync(htpasswd, HtpasswdLine + "\n", Ct);
        await using var registry = await RegistryFixture.StartAsync($"""
              htpasswd:
                realm: slipway-test
                path: {htpasswd}
            """);
        var repository = ImageReference.Parse($"{registry.Host}/private/app");
        var image = await TestImages.CreateAsync(temp.Path, "basic auth");

        await AssertPushAndPullAsync(registry, repository, image);

        using var anonymous = new RegistryClient(log.Logger, _ => null);
        var missing = await Assert.ThrowsAsync<RegistryAuthenticationException>(() => anonymous.ListTagsAsync(repository, Ct));
        Assert.Contains($"registry {registry.Host}: it requires credentials", missing.Message);
        Assert.Contains($"docker login {registry.Host}", missing.Message);

        using var wrong = new RegistryClient(log.Logger, _ => Valid with { Password = "wrong-pass" });
        var rejected = await Assert.ThrowsAsync<RegistryAuthenticationException>(() => wrong.ListTagsAsync(repository, Ct));
        Assert.Contains("rejected the credentials of user 'slipway'", rejected.Message);
        Assert.DoesNotContain(log.Lines, line => line.Contains("wrong-pass", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bearer_token_flow_obtains_tokens_from_the_realm()
    {
        await using var tokens = TokenServer.Start(temp.Path, Valid);
        await using var registry = await RegistryFixture.StartAsync(tokens.AuthSection);
        var repository = ImageReference.Parse($"{registry.Host}/private/token-app");
        var image = await TestImages.CreateAsync(temp.Path, "bearer auth");

        await AssertPushAndPullAsync(registry, repository, image);
        Assert.True(tokens.TokensIssued >= 2, $"expected a pull token and a push token, got {tokens.TokensIssued}");

        // A cross-repository mount needs a token for both repositories.
        using (var client = new RegistryClient(log.Logger, _ => Valid))
        {
            await client.PushAsync(image, repository, ["1.0.0"], Ct);
            var mounted = await client.PushAsync(image, ImageReference.Parse($"{registry.Host}/private/other"), ["1"], Ct);
            Assert.Equal(0, mounted.BlobsUploaded);
            Assert.True(await client.HasManifestAsync(mounted.Pushed, Ct));
        }

        using var anonymous = new RegistryClient(log.Logger, _ => null);
        var refused = await Assert.ThrowsAsync<RegistryAuthenticationException>(() => anonymous.ListTagsAsync(repository, Ct));
        Assert.Contains("refuses anonymous access", refused.Message);
    }

    [Fact]
    public async Task Credentials_come_from_the_docker_config_by_default()
    {
        var htpasswd = temp.Combine("htpasswd");
        await File.WriteAllTextAsync(htpasswd, HtpasswdLine + "\n", Ct);
        await using var registry = await RegistryFixture.StartAsync($"""
              htpasswd:
                realm: slipway-test
                path: {htpasswd}
            """);
        var config = temp.Combine("docker", "config.json");
        Directory.CreateDirectory(Path.GetDirectoryName(config)!);
        var auth = Convert.ToBase64String("slipway:s3cret-pass"u8.ToArray());
        await File.WriteAllTextAsync(config, System.Text.Json.JsonSerializer.Serialize(new { auths = new Dictionary<string, object> { [registry.Host] = new { auth } } }), Ct);

        using var client = new RegistryClient(log.Logger, host => DockerConfigCredentials.Find(host, config));
        Assert.Empty(await client.ListTagsAsync(ImageReference.Parse($"{registry.Host}/private/none"), Ct));
    }

    private async Task AssertPushAndPullAsync(RegistryFixture registry, ImageReference repository, OciImageLayout image)
    {
        using var client = new RegistryClient(log.Logger, host => host == registry.Host ? Valid : null);
        var pushed = await client.PushAsync(image, repository, ["1.0.0"], Ct);
        Assert.Equal(2, pushed.BlobsUploaded);
        Assert.Equal(["1.0.0"], await client.ListTagsAsync(repository, Ct));
        Assert.Equal(image.Manifest.Digest, await client.ResolveDigestAsync(repository.WithTag("1.0.0"), Ct));
        var pulled = await client.PullAsync(pushed.Pushed, temp.Combine("pulled-" + Guid.NewGuid().ToString("N")), Ct);
        Assert.Equal(image.Manifest.Digest, pulled.Manifest.Digest);
        Assert.True((await client.PushAsync(image, repository, ["1.0.0"], Ct)).AlreadyPresent);
        Assert.DoesNotContain(log.Lines, line => line.Contains(Valid.Password, StringComparison.Ordinal));
    }
}
