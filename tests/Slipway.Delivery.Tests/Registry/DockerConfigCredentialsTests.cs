using Slipway.Delivery.Registry;
using Slipway.Delivery.Tests.Oci;

namespace Slipway.Delivery.Tests.Registry;

public sealed class DockerConfigCredentialsTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private string Config(string json)
    {
        var path = temp.Combine("config.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Finds_base64_auth_by_host_in_any_key_form()
    {
        var auth = Convert.ToBase64String("ci-bot:pa:ss"u8.ToArray());
        var path = Config("""{"auths":{"https://registry.example.com/v1/":{"auth":"AUTH"},"127.0.0.1:5000":{"username":"u","password":"p"}}}""".Replace("AUTH", auth));

        Assert.Equal(new RegistryCredentials("ci-bot", "pa:ss"), DockerConfigCredentials.Find("registry.example.com", path));
        Assert.Equal(new RegistryCredentials("u", "p"), DockerConfigCredentials.Find("127.0.0.1:5000", path));
        Assert.Null(DockerConfigCredentials.Find("other.example.com", path));
        Assert.Null(DockerConfigCredentials.Find("127.0.0.1:5000", temp.Combine("missing.json")));
    }

    [Fact]
    public void Docker_hub_keys_match_docker_io()
    {
        var auth = Convert.ToBase64String("hubuser:token"u8.ToArray());
        var path = Config("""{"auths":{"https://index.docker.io/v1/":{"auth":"AUTH"}}}""".Replace("AUTH", auth));

        Assert.Equal("hubuser", DockerConfigCredentials.Find("docker.io", path)?.Username);
    }

    [Fact]
    public void Broken_entries_get_clear_errors()
    {
        Assert.Contains("not valid JSON", Assert.Throws<FormatException>(() => DockerConfigCredentials.Find("h", Config("{"))).Message);
        var notBase64 = Config("""{"auths":{"h":{"auth":"%%%"}}}""");
        Assert.Contains("docker login h", Assert.Throws<FormatException>(() => DockerConfigCredentials.Find("h", notBase64)).Message);
    }

    private string Helper(string name)
    {
        var directory = temp.Combine("helpers");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "docker-credential-" + name);
        File.WriteAllText(path, """
            #!/bin/sh
            read host
            if [ "$1" = "get" ] && [ "$host" = "registry.example.com" ]; then
              echo '{"ServerURL":"registry.example.com","Username":"helper-user","Secret":"helper-secret"}'
            else
              echo "credentials not found in native keychain"
              exit 1
            fi
            """.Replace("\r", ""));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return directory;
    }

    [Fact]
    public async Task Credential_helpers_are_run_as_docker_runs_them()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "the fake helper is a shell script");
        var helpers = Helper("slipwaytest");
        var auth = Convert.ToBase64String("file-user:file-pass"u8.ToArray());
        var perHost = Config("""{"credHelpers":{"registry.example.com":"slipwaytest"},"auths":{"registry.example.com":{"auth":"AUTH"}}}""".Replace("AUTH", auth));
        var ct = TestContext.Current.CancellationToken;

        Assert.Equal(new RegistryCredentials("helper-user", "helper-secret"), await DockerConfigCredentials.FindAsync("registry.example.com", perHost, helpers, ct));
        Assert.Equal(new RegistryCredentials("file-user", "file-pass"), DockerConfigCredentials.Find("registry.example.com", perHost));

        var store = Config("""{"credsStore":"slipwaytest","auths":{"other.example.com":{"auth":"AUTH"}}}""".Replace("AUTH", auth));
        Assert.Equal("helper-user", (await DockerConfigCredentials.FindAsync("registry.example.com", store, helpers, ct))?.Username);
        Assert.Equal("file-user", (await DockerConfigCredentials.FindAsync("other.example.com", store, helpers, ct))?.Username);
        Assert.Null(await DockerConfigCredentials.FindAsync("unknown.example.com", store, helpers, ct));
    }

    [Fact]
    public async Task A_missing_credential_helper_is_a_clear_error()
    {
        var config = Config("""{"credsStore":"nonexistent-helper"}""");

        var error = await Assert.ThrowsAsync<RegistryAuthenticationException>(() =>
            DockerConfigCredentials.FindAsync("registry.example.com", config, temp.Combine("helpers"), TestContext.Current.CancellationToken));

        Assert.Contains("names the credential helper 'nonexistent-helper'", error.Message);
    }

    [Fact]
    public void Credentials_never_print_their_password()
    {
        Assert.DoesNotContain("hunter2", new RegistryCredentials("me", "hunter2").ToString());
    }
}
