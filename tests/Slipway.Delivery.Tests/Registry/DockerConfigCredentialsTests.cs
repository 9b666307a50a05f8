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

    [Fact]
    public void Credentials_never_print_their_password()
    {
        Assert.DoesNotContain("hunter2", new RegistryCredentials("me", "hunter2").ToString());
    }
}
