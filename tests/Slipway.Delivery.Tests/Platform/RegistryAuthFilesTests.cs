using System.Text;
using Slipway.Delivery.Platform;
using Slipway.Delivery.Registry;

namespace Slipway.Delivery.Tests.Platform;

/// <summary>The embedded registry's credentials: a bcrypt htpasswd for the server, a standard config.json for clients, both mode 600.</summary>
public sealed class RegistryAuthFilesTests
{
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]   // file modes are Unix's
    public void Infrastructure_makes_the_htpasswd_and_a_docker_config_once_and_keeps_them()
    {
        using var root = new TempDirectory();
        var files = RegistryAuthFiles.Under(root.Path);

        files.Ensure("127.0.0.1:5000");
        var credentials = DockerConfigCredentials.Find("127.0.0.1:5000", files.DockerConfig)!;
        Assert.Equal(RegistryAuthFiles.User, credentials.Username);
        Assert.True(credentials.Password.Length >= 32);
        var (user, hash) = File.ReadAllText(files.Htpasswd).Trim().Split(':', 2) is [var u, var h] ? (u, h) : ("", "");
        Assert.Equal(RegistryAuthFiles.User, user);
        Assert.StartsWith("$2", hash, StringComparison.Ordinal);   // bcrypt, the only format distribution takes
        Assert.True(BCrypt.Net.BCrypt.Verify(credentials.Password, hash));
        Assert.DoesNotContain(credentials.Password, File.ReadAllText(files.Htpasswd), StringComparison.Ordinal);
        foreach (var secret in new[] { files.Htpasswd, files.DockerConfig })
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secret));

        // Again, and for another address: the same password, nothing lost.
        var htpasswd = File.ReadAllText(files.Htpasswd);
        files.Ensure("127.0.0.1:5001");
        Assert.Equal(htpasswd, File.ReadAllText(files.Htpasswd));
        Assert.Equal(credentials, DockerConfigCredentials.Find("127.0.0.1:5000", files.DockerConfig));
        Assert.Equal(credentials, DockerConfigCredentials.Find("127.0.0.1:5001", files.DockerConfig));
    }

    [Fact]
    public void A_docker_config_that_no_longer_matches_the_htpasswd_gets_a_new_password_for_both()
    {
        using var root = new TempDirectory();
        var files = RegistryAuthFiles.Under(root.Path);
        files.Ensure("127.0.0.1:5000");
        var old = DockerConfigCredentials.Find("127.0.0.1:5000", files.DockerConfig)!;
        File.WriteAllText(files.Htpasswd, $"{RegistryAuthFiles.User}:{BCrypt.Net.BCrypt.HashPassword("something else")}\n");

        files.Ensure("127.0.0.1:5000");

        var fresh = DockerConfigCredentials.Find("127.0.0.1:5000", files.DockerConfig)!;
        Assert.NotEqual(old.Password, fresh.Password);
        Assert.True(BCrypt.Net.BCrypt.Verify(fresh.Password, File.ReadAllText(files.Htpasswd).Trim().Split(':', 2)[1]));
        Assert.Contains(Convert.ToBase64String(Encoding.UTF8.GetBytes($"{fresh.Username}:{fresh.Password}")), File.ReadAllText(files.DockerConfig), StringComparison.Ordinal);
    }
}
