using System.ComponentModel;
using System.Text;
using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;

namespace Slipway.Delivery.Registry;

/// <summary>
/// Reads credentials the way `docker login` stores them: ~/.docker/config.json (or $DOCKER_CONFIG/config.json),
/// "auths": { "&lt;host&gt;": { "auth": base64("user:password") } } (or "username"/"password" fields).
/// <see cref="Find"/> reads the file only; <see cref="FindAsync"/> also runs the credential helpers Docker would
/// ("credHelpers" for the host, else the "credsStore"), as `docker-credential-&lt;name&gt; get`.
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

    /// <summary>Credentials for a host from the config file's "auths" (no helpers run); null when there are none.</summary>
    public static RegistryCredentials? Find(string registryHost, string? dockerConfigPath = null)
    {
        var path = dockerConfigPath ?? DefaultPath();
        using var document = Load(path);
        return document is null ? null : FromAuths(document.RootElement, registryHost, path);
    }

    /// <summary>
    /// Credentials for a host as Docker finds them: the host's credential helper ("credHelpers"), else "auths", else
    /// the default store ("credsStore"). Helpers are looked up on PATH, or in <paramref name="helperDirectory"/> when given.
    /// </summary>
    public static async Task<RegistryCredentials?> FindAsync(string registryHost, string? dockerConfigPath = null, string? helperDirectory = null,
                                                            CancellationToken ct = default)
    {
        var path = dockerConfigPath ?? DefaultPath();
        string? hostHelper, store;
        RegistryCredentials? fromAuths;
        using (var document = Load(path))
        {
            if (document is null) return null;
            var root = document.RootElement;
            hostHelper = root.TryGetProperty("credHelpers", out var helpers) && helpers.ValueKind == JsonValueKind.Object
                ? helpers.EnumerateObject()
                    .Where(entry => string.Equals(NormalizeHost(entry.Name), NormalizeHost(registryHost), StringComparison.OrdinalIgnoreCase))
                    .Select(entry => entry.Value.GetString())
                    .FirstOrDefault(name => !string.IsNullOrEmpty(name))
                : null;
            store = root.TryGetProperty("credsStore", out var credsStore) && credsStore.ValueKind == JsonValueKind.String
                ? credsStore.GetString()
                : null;
            fromAuths = FromAuths(root, registryHost, path);
        }
        if (!string.IsNullOrEmpty(hostHelper)) return await RunHelperAsync(hostHelper, registryHost, path, helperDirectory, ct);
        if (fromAuths is not null) return fromAuths;
        return string.IsNullOrEmpty(store) ? null : await RunHelperAsync(store, registryHost, path, helperDirectory, ct);
    }

    // The credential helper protocol: the server URL on stdin, {"ServerURL","Username","Secret"} on stdout.
    private static async Task<RegistryCredentials?> RunHelperAsync(string helper, string registryHost, string configPath, string? helperDirectory,
                                                                 CancellationToken ct)
    {
        var executable = "docker-credential-" + helper;
        if (helperDirectory is not null) executable = Path.Combine(helperDirectory, executable);
        var serverUrl = NormalizeHost(registryHost) == "docker.io" ? "https://index.docker.io/v1/" : registryHost;
        BufferedCommandResult result;
        try
        {
            result = await Cli.Wrap(executable)
                .WithArguments(["get"])
                .WithStandardInputPipe(PipeSource.FromString(serverUrl + "\n"))
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(ct);
        }
        catch (Win32Exception exception)
        {
            throw new RegistryAuthenticationException(registryHost,
                $"Docker config '{configPath}' names the credential helper '{helper}', but {executable} cannot be run ({exception.Message}); " +
                "install it or remove it from the config");
        }
        if (result.ExitCode != 0)
        {
            // Helpers answer "credentials not found" with a non-zero exit: that means anonymous, as in Docker.
            if (result.StandardOutput.Contains("credentials not found", StringComparison.OrdinalIgnoreCase)
                || result.StandardError.Contains("credentials not found", StringComparison.OrdinalIgnoreCase))
                return null;
            throw new RegistryAuthenticationException(registryHost,
                $"the credential helper {executable} failed with exit code {result.ExitCode}: {result.StandardError.Trim()}");
        }
        try
        {
            using var answer = JsonDocument.Parse(result.StandardOutput);
            var username = answer.RootElement.GetProperty("Username").GetString();
            var secret = answer.RootElement.GetProperty("Secret").GetString();
            if (string.IsNullOrEmpty(secret)) return null;
            // "<token>" as user name marks an identity token, which Docker sends as a refresh token; used here as a password.
            return new RegistryCredentials(username ?? "", secret);
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new RegistryAuthenticationException(registryHost, $"the credential helper {executable} answered something other than its JSON");
        }
    }

    private static JsonDocument? Load(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException exception)
        {
            throw new FormatException($"Docker config '{path}' is not valid JSON ({exception.Message}); fix or remove it, or run 'docker login' again.", exception);
        }
    }

    private static RegistryCredentials? FromAuths(JsonElement root, string registryHost, string path)
    {
        if (!root.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object)
            return null;
        foreach (var entry in auths.EnumerateObject())
        {
            if (!string.Equals(NormalizeHost(entry.Name), NormalizeHost(registryHost), StringComparison.OrdinalIgnoreCase)) continue;
            var credentials = Read(entry.Value, entry.Name, path);
            if (credentials is not null) return credentials;
        }
        return null;
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
