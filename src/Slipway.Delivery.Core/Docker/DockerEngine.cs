using Docker.DotNet;

namespace Slipway.Delivery.Docker;

/// <summary>
/// Connects to a Docker engine (DOCKER_HOST, else the default socket) and speaks the API version the
/// engine reports, so the same code drives Debian's engine (API 1.41) and current ones (1.44+).
/// </summary>
public static class DockerEngine
{
    public const string DefaultSocket = "unix:///var/run/docker.sock";

    public static Uri Endpoint(IReadOnlyDictionary<string, string?>? environment = null)
    {
        var host = environment is null
            ? Environment.GetEnvironmentVariable("DOCKER_HOST")
            : environment.GetValueOrDefault("DOCKER_HOST");
        return new Uri(string.IsNullOrWhiteSpace(host) ? DefaultSocket : host);
    }

    /// <summary>Connects and negotiates the API version; throws <see cref="DockerUnavailableException"/> when no engine answers.</summary>
    public static async Task<DockerClient> ConnectAsync(Uri? endpoint = null, CancellationToken cancellationToken = default)
    {
        endpoint ??= Endpoint();
        try
        {
            using var probe = new DockerClientBuilder().WithEndpoint(endpoint).WithTimeout(TimeSpan.FromSeconds(10)).Build();
            var version = await probe.System.GetVersionAsync(cancellationToken);
            return new DockerClientBuilder()
                .WithEndpoint(endpoint)
                .WithApiVersion(Version.Parse(version.APIVersion))
                .Build();
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException or TimeoutException
                                              or System.Net.Sockets.SocketException or DockerApiException or TaskCanceledException)
        {
            throw new DockerUnavailableException(endpoint, exception);
        }
    }
}

public sealed class DockerUnavailableException(Uri endpoint, Exception inner) : Exception(
    $"No Docker engine answers at {endpoint} ({inner.Message}). Install and start one (Debian: 'apt-get install docker.io' then 'dockerd'), " +
    "or point DOCKER_HOST at a running engine.", inner)
{
    public Uri Endpoint { get; } = endpoint;
}
