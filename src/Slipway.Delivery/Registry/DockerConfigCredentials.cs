using System.Text;
using System.Text.Json;

namespace Slipway.Delivery.Registry;

/// <summary>
/// Reads credentials the way `docker login` stores them: ~/.docker/config.json (or $DOCKER_CONFIG/config.json),
/// "auths": { "&lt;host&gt;": { "auth": base64("user:password") } } (or "username"/"password" fields).
/// Credential helpers (credsStore) are not run; their registries yield no credentials here.
/// </summary>
public static class DockerConfigCredentials
{
    public static string DefaultPath()
    {
        var configDirectory = Environment.GetEnvironmentVariable("DOCKER_CONFIG");
        if (string.IsNullOrWhiteSpace(configDirectory))
            configDirectory = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        return Path.Combine(configDirectory, "config.json");
    }

    public static RegistryCredentials? Find(string registryHost, string? dockerConfigPath = null)
    {
        var path = dockerConfigPath ?? DefaultPath();
        if (!File.Exists(path)) return null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException exception)
        {
            throw new FormatException($"Docker config '{path}' is not valid JSON ({exception.Message}); fix or remove it, or run 'docker login' again.", exception);
        }
        using (document)
        {
            if (!document.RootElement.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object)
                return null;
            foreach (var entry in auths.EnumerateObject())
            {
                if (!string.Equals(NormalizeHost(entry.Name), NormalizeHost(registryHost), StringComparison.OrdinalIgnoreCase)) continue;
                var credentials = Read(entry.Value, entry.Name, path);
                if (credentials is not null) return credentials;
            }
            return null;
        }
    }

    private static RegistryCredentials? Read(JsonElement entry, string host, string path)
    {
        if (entry.ValueKind != JsonValueKind.Object) return null;
        if (entry.TryGetProperty("auth", out var auth) && auth.ValueKind == JsonValueKind.String && !string.IsNullOrEmpty(auth.GetString()))
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth.GetString()!));
            }
            catch (FormatException)
            {
                throw new FormatException($"Docker config '{path}': auths.\"{host}\".auth is not base64; run 'docker login {host}' again.");
            }
            var colon = decoded.IndexOf(':');
            if (colon <= 0)
                throw new FormatException($"Docker config '{path}': auths.\"{host}\".auth does not decode to user:password; run 'docker login {host}' again.");
            return new RegistryCredentials(decoded[..colon], decoded[(colon + 1)..]);
        }
        if (entry.TryGetProperty("username", out var user) && entry.TryGetProperty("password", out var password)
            && user.ValueKind == JsonValueKind.String && password.ValueKind == JsonValueKind.String)
            return new RegistryCredentials(user.GetString()!, password.GetString()!);
        return null;
    }

    // Docker keys entries as "host", "https://host", "https://host/v1/" (docker.io) and so on.
    private static string NormalizeHost(string key)
    {
        var host = key;
        var scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) host = host[(scheme + 3)..];
        var slash = host.IndexOf('/');
        if (slash >= 0) host = host[..slash];
        return host is "index.docker.io" or "registry-1.docker.io" ? "docker.io" : host;
    }
}
