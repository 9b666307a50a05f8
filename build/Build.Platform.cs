using Slipway.Build;
using Slipway.Delivery.Platform;

partial class Build
{
    [Parameter("host:port of the local OCI registry the embedded platform serves (loopback only)")]
    readonly string Registry = PlatformOptions.DefaultRegistryAddress;

    [Parameter("Base image: default (the standard .NET runtime-deps image, or the local Debian base when unreachable) or local")]
    readonly BaseImageMode BaseImage = BaseImageMode.Default;

    PlatformOptions PlatformOptions => new()
    {
        RootDirectory = RootDirectory,
        RegistryAddress = Registry,
        BaseImage = BaseImage,
        Environment = EnvironmentVariables,
    };

    /// <summary>What Infrastructure found or brought up; later targets build on it.</summary>
    PlatformState? Platform;

    Target Infrastructure => _ => _
        .Description("Brings up the embedded platform: Docker engine, local registry, base image (idempotent)")
        .Executes(async () => Platform = await EmbeddedPlatform.EnsureAsync(PlatformOptions, Log, CancellationToken));

    Target PlatformDown => _ => _
        .Description("Stops the platform's registry (its data and the config repo stay)")
        .Executes(() => EmbeddedPlatform.StopRegistryAsync(PlatformOptions, Log, CancellationToken));
}
