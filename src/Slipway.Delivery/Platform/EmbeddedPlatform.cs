using Slipway.Delivery.Registry;
using Slipway.Edge.Contract.Loopback;

namespace Slipway.Delivery.Platform;

/// <summary>
/// The embedded default in one call: a Docker engine, a local OCI registry and the base image to build on,
/// each found and reused when present, brought up when not. Idempotent: a second call only checks.
/// </summary>
public static class EmbeddedPlatform
{
    public static Task<PlatformState> EnsureAsync(PlatformOptions options, Serilog.ILogger log, CancellationToken cancellationToken = default) =>
        EnsureAsync(options, log, new SystemHost(), cancellationToken);

    /// <summary>As above, on a given host (tests inject one).</summary>
    public static async Task<PlatformState> EnsureAsync(PlatformOptions options, Serilog.ILogger log, IPlatformHost host,
                                                        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        RegistryServer.ParseAddress(options.RegistryAddress);  // bad input fails before anything starts
        var platformDirectory = options.PlatformDirectory;
        Directory.CreateDirectory(platformDirectory);
        var apt = new AptInstaller(host, log, options.AllowInstall);

        var docker = await new DockerEngineProvisioner(host, apt, log).EnsureAsync(options.Environment, platformDirectory, cancellationToken);
        await WorkloadCpuWeight.EnsureAsync(docker, host, log, cancellationToken);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        var registry = await new RegistryServer(host, apt, log, http).EnsureAsync(options.RegistryAddress, platformDirectory, options.RegistryExposure, cancellationToken);

        var credentials = RegistryAuthFiles.Under(platformDirectory).DockerConfig;
        // Behind the edge, the registry is reached on its socket until the edge (started after this) serves its address.
        using var socket = options.RegistryExposure == RegistryExposure.BehindEdge
            ? UnixSocketHttp.Handler(RegistryServer.SocketUnder(platformDirectory), forAddress: options.RegistryAddress)
            : null;
        using var client = new RegistryClient(log, host => DockerConfigCredentials.Find(host, credentials), socket);
        var provider = new BaseImageProvider(new LocalBaseImageBuilder(host, apt, log), client, log);
        var baseImage = await provider.EnsureAsync(options.BaseImage, options.RegistryAddress, platformDirectory,
                                                   upstream: options.UpstreamBaseImage, cancellationToken: cancellationToken);
        return new PlatformState(docker, registry, baseImage);
    }

    /// <summary>Stops the registry this platform started (a later PlatformDown); its data stays. Docker is left running.</summary>
    public static Task<bool> StopRegistryAsync(PlatformOptions options, Serilog.ILogger log, CancellationToken cancellationToken = default)
    {
        var host = new SystemHost();
        return new RegistryServer(host, new AptInstaller(host, log, allowInstall: false), log)
            .StopAsync(options.PlatformDirectory, cancellationToken);
    }
}
