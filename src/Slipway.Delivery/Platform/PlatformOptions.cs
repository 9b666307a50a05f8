namespace Slipway.Delivery.Platform;

/// <summary>What the embedded default platform should look like; the build's parameters fill it.</summary>
public sealed record PlatformOptions
{
    public const string DefaultRegistryAddress = "127.0.0.1:5000";

    /// <summary>The repository root; the platform's state lives under <c>.nuke/platform</c> below it.</summary>
    public required string RootDirectory { get; init; }

    /// <summary>host:port of the local registry (the build's <c>--registry</c> parameter).</summary>
    public string RegistryAddress { get; init; } = DefaultRegistryAddress;

    /// <summary>
    /// Whether the registry serves <see cref="RegistryAddress"/> itself, or listens on a unix socket for the edge to serve
    /// the address and check Host (the platform's way; the edge must then be started with the registry front).
    /// </summary>
    public RegistryExposure RegistryExposure { get; init; } = RegistryExposure.Direct;

    /// <summary><see cref="BaseImageMode.Local"/> is <c>--base-image local</c>.</summary>
    public BaseImageMode BaseImage { get; init; } = BaseImageMode.Default;

    /// <summary>The standard base used in <see cref="BaseImageMode.Default"/> where a registry serves it (a mirror of it works too).</summary>
    public string UpstreamBaseImage { get; init; } = BaseImageProvider.UpstreamImage;

    /// <summary>Environment the build runs with (DOCKER_HOST, ...); null means this process's environment.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>Whether missing tools (docker.io, docker-registry, mmdebstrap) may be installed with apt when running as root.</summary>
    public bool AllowInstall { get; init; } = true;

    public string PlatformDirectory => Path.Combine(Path.GetFullPath(RootDirectory), ".nuke", "platform");
}

public enum BaseImageMode
{
    /// <summary>The standard .NET runtime-deps image where it can be reached, else the local Debian base.</summary>
    Default,

    /// <summary>Always the base built from Debian packages and pushed to the local registry.</summary>
    Local,
}
