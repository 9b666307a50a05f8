using Slipway.Delivery.Platform;

namespace Slipway.Delivery.Tests.Platform;

/// <summary>The provisioner against this machine's real Docker engine (the fakes' counterpart in <see cref="DockerEngineProvisionerTests"/>).</summary>
[Trait("Tier", "Engine")]
public sealed class DockerEngineProvisionerEngineTests
{
    [Fact]
    public async Task The_real_engine_here_is_found_with_its_versions()
    {
        using var directory = new TempDirectory();
        var host = new SystemHost();

        var state = await new DockerEngineProvisioner(host, new AptInstaller(host, TestLog.Create(), allowInstall: false), TestLog.Create())
            .EnsureAsync(null, directory.Path, TestContext.Current.CancellationToken);

        Assert.False(state.Started);
        Assert.Matches(@"^\d+\.\d+", state.Version);
        Assert.Matches(@"^1\.\d+$", state.ApiVersion);
    }
}
