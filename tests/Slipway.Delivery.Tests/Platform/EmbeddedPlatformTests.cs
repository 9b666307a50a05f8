using System.Diagnostics;
using Slipway.Delivery.Platform;
using Slipway.Testing;

namespace Slipway.Delivery.Tests.Platform;

/// <summary>The facade end to end on this machine: real engine, a registry it starts, the local base it builds.</summary>
[Trait("Tier", "Engine")]
public sealed class EmbeddedPlatformTests
{
    [Fact]
    public async Task Brings_up_the_platform_once_and_reuses_everything_on_the_second_call()
    {
        var ct = TestContext.Current.CancellationToken;
        var log = TestLog.Create();
        using var root = new TempDirectory();
        var options = new PlatformOptions
        {
            RootDirectory = root.Path,
            RegistryAddress = $"127.0.0.1:{FreePort.Next()}",
            BaseImage = BaseImageMode.Local,
            AllowInstall = false,
        };
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
            Assert.Equal(BaseImageSource.LocalBuilt, first.BaseImage.Source);
            Assert.Equal(BaseImageSource.LocalCached, second.BaseImage.Source);
            Assert.Equal(first.BaseImage.Reference, second.BaseImage.Reference);
            Assert.StartsWith($"{options.RegistryAddress}/slipway/base@sha256:", first.BaseImage.Reference.ToString());
            Assert.StartsWith("sha256:", first.BaseImage.Reference.Digest);
            Assert.True(Directory.Exists(Path.Combine(root.Path, ".nuke", "platform", "registry", "data")));
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"EnsureAsync: first (registry start + base build + push) {cold.TotalSeconds:0.0} s, second {warm.TotalMilliseconds:0} ms");
        }
        finally
        {
            await EmbeddedPlatform.StopRegistryAsync(options, log, CancellationToken.None);
        }
    }
}
