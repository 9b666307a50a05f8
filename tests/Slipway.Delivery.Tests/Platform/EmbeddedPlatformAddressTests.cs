using Slipway.Delivery.Platform;

namespace Slipway.Delivery.Tests.Platform;

/// <summary>The facade's checks that come before anything starts (the real bring-up is in <see cref="EmbeddedPlatformTests"/>).</summary>
public sealed class EmbeddedPlatformAddressTests
{
    [Fact]
    public async Task A_bad_registry_address_fails_before_anything_starts()
    {
        using var root = new TempDirectory();
        var options = new PlatformOptions { RootDirectory = root.Path, RegistryAddress = "0.0.0.0:5000" };

        var error = await Assert.ThrowsAsync<PlatformSetupException>(() =>
            EmbeddedPlatform.EnsureAsync(options, TestLog.Create(), TestContext.Current.CancellationToken));

        Assert.Contains("--registry", error.Message);
        Assert.False(Directory.Exists(Path.Combine(root.Path, ".nuke")));
    }
}
