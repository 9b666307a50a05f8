using Slipway.Delivery.Oci;
using Slipway.Delivery.Registry;

namespace Slipway.Delivery.Platform;

/// <summary>
/// Decides the base image services are built on: the standard .NET runtime-deps image where it can be reached,
/// else (or with <see cref="BaseImageMode.Local"/>) the local Debian base, cached by its inputs: a registry
/// that already holds the recipe's tag is used as it is; a layout cached under .nuke/platform/base is pushed
/// without rebuilding; otherwise it is built and pushed.
/// </summary>
public sealed class BaseImageProvider(LocalBaseImageBuilder builder, RegistryClient registry, Serilog.ILogger log)
{
    public const string UpstreamImage = "mcr.microsoft.com/dotnet/runtime-deps:10.0";
    public const string LocalRepository = "slipway/base";

    public static string CacheDirectoryUnder(string platformDirectory) => Path.Combine(platformDirectory, "base");

    public async Task<BaseImageState> EnsureAsync(BaseImageMode mode, string registryAddress, string platformDirectory,
                                                  DebianBaseRecipe? recipe = null, string upstream = UpstreamImage,
                                                  TimeSpan? upstreamProbeTimeout = null, CancellationToken cancellationToken = default)
    {
        if (mode == BaseImageMode.Default)
        {
            var reachable = await ResolveUpstreamAsync(upstream, upstreamProbeTimeout ?? TimeSpan.FromSeconds(5), cancellationToken);
            if (reachable is not null)
            {
                log.Information("Base image {Image}", reachable);
                return new BaseImageState(reachable, BaseImageSource.Upstream);
            }
        }

        recipe ??= DebianBaseRecipe.ForHost();
        var target = new ImageReference(registryAddress, LocalRepository, recipe.Tag, null);
        var existing = await registry.ResolveDigestAsync(target, cancellationToken);
        if (existing is not null)
        {
            log.Information("Base image {Image} already in the registry ({Digest})", target, existing);
            return new BaseImageState(target.WithoutTagOrDigest().WithDigest(existing), BaseImageSource.LocalCached);
        }

        var layoutDirectory = Path.Combine(CacheDirectoryUnder(platformDirectory), recipe.Tag);
        // Two builds on one machine (two pipelines, two terminals) must not build into the same directory at once;
        // the second waits, then finds the image in the registry.
        await using var buildLock = await AcquireLockAsync(layoutDirectory + ".lock", cancellationToken);
        existing = await registry.ResolveDigestAsync(target, cancellationToken);
        if (existing is not null)
            return new BaseImageState(target.WithoutTagOrDigest().WithDigest(existing), BaseImageSource.LocalCached);

        OciImageLayout? image = null;
        var built = false;
        if (Directory.Exists(layoutDirectory))
        {
            try
            {
                image = OciImageLayout.Open(layoutDirectory);
                log.Information("Base image {Tag} found in {Directory}; pushing it", recipe.Tag, layoutDirectory);
            }
            catch (Exception exception) when (exception is InvalidOciLayoutException or IOException)
            {
                log.Warning("Cached base image in {Directory} is unusable ({Reason}); rebuilding", layoutDirectory, exception.Message);
            }
        }
        if (image is null)
        {
            image = await builder.BuildAsync(recipe, layoutDirectory, cancellationToken);
            built = true;
        }

        var pushed = await registry.PushAsync(image, target.WithoutTagOrDigest(), [recipe.Tag], cancellationToken);
        log.Information("Base image {Image}", pushed.Pushed);
        return new BaseImageState(pushed.Pushed, built ? BaseImageSource.LocalBuilt : BaseImageSource.LocalCached);
    }

    static async Task<FileStream> AcquireLockAsync(string path, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);  // an flock on Linux, released on dispose or process exit
            }
            catch (IOException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
        }
    }

    /// <summary>The upstream image by digest, or null when no registry answers within the timeout (air-gapped).</summary>
    async Task<ImageReference?> ResolveUpstreamAsync(string upstream, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var reference = ImageReference.Parse(upstream);
        using var probe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        probe.CancelAfter(timeout);
        try
        {
            // One attempt first: air-gapped, the name does not resolve or nothing answers, and that should cost
            // milliseconds on every build, not the client's retries.
            if (!await registry.IsRegistryAsync(reference.Registry, probe.Token))
            {
                log.Information("{Registry} does not answer; using the local Debian base", reference.Registry);
                return null;
            }
            var digest = await registry.ResolveDigestAsync(reference, probe.Token);
            if (digest is not null)
                return reference.WithoutTagOrDigest().WithDigest(digest);
            log.Warning("{Image} does not exist; using the local Debian base", upstream);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            log.Warning("{Image} cannot be reached ({Reason}); using the local Debian base", upstream,
                        exception is OperationCanceledException ? $"no answer within {timeout.TotalSeconds:0} s" : exception.Message);
        }
        return null;
    }
}
