using System.Diagnostics;
using Slipway.Delivery.Platform;
using Slipway.Testing;

namespace Slipway.Delivery.Tests.Platform;

/// <summary>
/// The facade end to end on this machine: real engine, a registry it starts, the local base it builds (or pushes from
/// the layout an earlier run kept). Behind the edge (no edge runs here), the base goes in through the registry's socket.
/// </summary>
[Trait("Tier", "Engine")]
public sealed class EmbeddedPlatformTests
{
    [Theory]
    [InlineData(RegistryExposure.Direct)]
    [InlineData(RegistryExposure.BehindEdge)]
    public async Task Brings_up_the_platform_once_and_reuses_everything_on_the_second_call(RegistryExposure exposure)
    {
        var ct = TestContext.Current.CancellationToken;
        var log = TestLog.Create();
        using var root = new TempDirectory();
        var options = new PlatformOptions
        {
            RootDirectory = root.Path,
            RegistryAddress = $"127.0.0.1:{FreePort.Next()}",
            RegistryExposure = exposure,
            BaseImage = BaseImageMode.Local,
            AllowInstall = false,
        };
        // The base layout an earlier run built (LocalBaseCache), where there is one: the registry is new, so it is pushed, not rebuilt.
        var recipe = DebianBaseRecipe.ForHost();
        var seeded = LocalBaseCache.Seed(recipe, options.PlatformDirectory);
        try
        {
            var watch = Stopwatch.StartNew();
            var first = await EmbeddedPlatform.EnsureAsync(options, log, ct);
            var cold = watch.Elapsed;
            watch.Restart();
            var second = await EmbeddedPlatform.EnsureAsync(options, log, ct);
            var warm = watch.Elapsed;

            Assert.False(first.Docker.Started);
            Assert.Equal(new LocalRegistryState(options.RegistryAddress, Started: true), first.Registry);
            Assert.Equal(new LocalRegistryState(options.RegistryAddress, Started: false), second.Registry);
            Assert.Equal(seeded ? BaseImageSource.LocalCached : BaseImageSource.LocalBuilt, first.BaseImage.Source);
            Assert.Equal(BaseImageSource.LocalCached, second.BaseImage.Source);
            Assert.Equal(first.BaseImage.Reference, second.BaseImage.Reference);
            Assert.StartsWith($"{options.RegistryAddress}/slipway/base@sha256:", first.BaseImage.Reference.ToString());
            Assert.StartsWith("sha256:", first.BaseImage.Reference.Digest);
            Assert.True(Directory.Exists(Path.Combine(root.Path, ".nuke", "platform", "registry", "data")));
            if (exposure == RegistryExposure.BehindEdge)
            {
                // The registry is on its socket only: the address waits for the edge.
                Assert.True(File.Exists(RegistryServer.SocketUnder(options.PlatformDirectory)));
                Assert.Equal(RegistryServer.AnswerKind.Nothing, (await RegistryServerTests.Server().ProbeAsync(options.RegistryAddress, ct)).Kind);
            }
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"EnsureAsync: first (registry start + base {(seeded ? "push from the cached layout" : "build + push")}) {cold.TotalSeconds:0.0} s, second {warm.TotalMilliseconds:0} ms");
            LocalBaseCache.Keep(recipe, options.PlatformDirectory);
        }
        finally
        {
            await EmbeddedPlatform.StopRegistryAsync(options, log, CancellationToken.None);
        }
    }
}
