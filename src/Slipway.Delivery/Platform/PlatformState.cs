using Slipway.Delivery.Oci;

namespace Slipway.Delivery.Platform;

/// <summary>What <see cref="EmbeddedPlatform.EnsureAsync"/> found or brought up.</summary>
public sealed record PlatformState(DockerEngineState Docker, LocalRegistryState Registry, BaseImageState BaseImage);

/// <param name="Installed">docker.io was installed by this call.</param>
/// <param name="Started">dockerd was started by this call.</param>
public sealed record DockerEngineState(Uri Endpoint, string Version, string ApiVersion, bool Installed, bool Started);

/// <param name="Address">host:port serving the OCI distribution API.</param>
/// <param name="Started">true when this call started the registry, false when one was already answering there.</param>
public sealed record LocalRegistryState(string Address, bool Started);

/// <param name="Reference">The base to build on, by digest only (registry/repository@sha256:...).</param>
public sealed record BaseImageState(ImageReference Reference, BaseImageSource Source);

public enum BaseImageSource
{
    /// <summary>The standard image (mcr.microsoft.com/dotnet/runtime-deps), reachable from here.</summary>
    Upstream,

    /// <summary>The local Debian base, built by this call.</summary>
    LocalBuilt,

    /// <summary>The local Debian base, already in the registry for these inputs.</summary>
    LocalCached,
}
