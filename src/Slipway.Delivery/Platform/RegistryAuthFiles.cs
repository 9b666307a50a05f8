using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Delivery.Platform;

/// <summary>
/// The embedded registry's credentials, made once per platform: distribution's htpasswd file (bcrypt) for the server,
/// and a standard Docker config.json (<c>auths</c>, base64 user:password) for every client — the build and the SDK
/// through DOCKER_CONFIG, the agent, <c>docker --config</c>, <c>skopeo --authfile</c>. Both files are mode 600.
/// </summary>
public sealed record RegistryAuthFiles(string Directory)
{
    public const string User = "slipway";

    public static RegistryAuthFiles Under(string platformDirectory) => new(RegistryServer.DirectoryUnder(platformDirectory));

    public string Htpasswd => Path.Combine(Directory, "htpasswd");
    /// <summary>What DOCKER_CONFIG names: the folder holding config.json.</summary>
    public string DockerConfigDirectory => Path.Combine(Directory, "docker-config");
    public string DockerConfig => Path.Combine(DockerConfigDirectory, "config.json");

    /// <summary>Makes the password, the htpasswd and the config.json when missing, and adds <paramref name="address"/> to the config's auths.</summary>
    public void Ensure(string address)
    {
        System.IO.Directory.CreateDirectory(DockerConfigDirectory);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(DockerConfigDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var config = File.Exists(DockerConfig) ? JsonNode.Parse(File.ReadAllText(DockerConfig)) as JsonObject ?? new JsonObject() : new JsonObject();
        var auths = config["auths"] as JsonObject ?? new JsonObject();
        config["auths"] = auths;
        var password = Password(auths);
        if (password is null || !File.Exists(Htpasswd) || !VerifiesHtpasswd(password))
        {
            password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
            WriteSecret(Htpasswd, $"{User}:{BCrypt.Net.BCrypt.HashPassword(password, workFactor: 10)}\n");
            auths.Clear();
        }
        auths[address] = new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{password}")) };
        WriteSecret(DockerConfig, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>The password the config.json holds for <see cref="User"/> (any address: there is one per platform).</summary>
    static string? Password(JsonObject auths) =>
        auths.Select(entry => entry.Value?["auth"]?.GetValue<string>())
            .OfType<string>()
            .Select(auth => Encoding.UTF8.GetString(Convert.FromBase64String(auth)).Split(':', 2))
            .Where(parts => parts.Length == 2 && parts[0] == User)
            .Select(parts => parts[1])
            .FirstOrDefault();

    bool VerifiesHtpasswd(string password) =>
        File.ReadAllLines(Htpasswd).Select(line => line.Split(':', 2)).Any(parts =>
            parts.Length == 2 && parts[0] == User && BCrypt.Net.BCrypt.Verify(password, parts[1]));

    static void WriteSecret(string path, string text)
    {
        // Created with mode 600 before the secret is written, so it is never readable by others, not even for a moment.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(path, options))
            stream.Write(Encoding.UTF8.GetBytes(text));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
