using Slipway.Delivery.Docker;
using Slipway.Delivery.Platform;

namespace Slipway.Delivery.Tests.Platform;

public sealed class DockerEngineProvisionerTests
{
    static readonly Dictionary<string, string?> NoDockerHost = new() { ["DOCKER_HOST"] = null };

    /// <summary>A probe for an engine that answers only once dockerd was started (or always, or never).</summary>
    static Func<Uri, CancellationToken, Task<(string, string)>> Engine(FakeHost host, bool answersBeforeStart = false, bool answersAfterStart = true) =>
        (endpoint, _) => (answersBeforeStart || (answersAfterStart && host.Started.Count > 0))
            ? Task.FromResult(("20.10.24", "1.41"))
            : throw new DockerUnavailableException(endpoint, new IOException("connect: no such file or directory"));

    static DockerEngineProvisioner Provisioner(FakeHost host, Func<Uri, CancellationToken, Task<(string, string)>> probe, bool allowInstall = true) =>
        new(host, new AptInstaller(host, TestLog.Create(), allowInstall), TestLog.Create(), probe, TimeSpan.FromSeconds(2));

    [Fact]
    public async Task An_answering_engine_is_used_as_it_is()
    {
        var host = new FakeHost { IsRoot = true, Files = { AptInstaller.AptGet } };
        using var directory = new TempDirectory();

        var state = await Provisioner(host, Engine(host, answersBeforeStart: true)).EnsureAsync(NoDockerHost, directory.Path, TestContext.Current.CancellationToken);

        Assert.Equal(("20.10.24", "1.41", false, false), (state.Version, state.ApiVersion, state.Installed, state.Started));
        Assert.Equal(new Uri(DockerEngine.DefaultSocket), state.Endpoint);
        Assert.Empty(host.Commands);
        Assert.Empty(host.Started);
    }

    [Fact]
    public async Task As_root_on_apt_without_docker_it_installs_docker_io_and_starts_dockerd()
    {
        var host = new FakeHost { IsRoot = true, Files = { AptInstaller.AptGet } };
        using var directory = new TempDirectory();

        var state = await Provisioner(host, Engine(host)).EnsureAsync(NoDockerHost, directory.Path, TestContext.Current.CancellationToken);

        Assert.True(state.Installed);
        Assert.True(state.Started);
        Assert.Equal("1.41", state.ApiVersion);
        Assert.Contains($"{AptInstaller.AptGet} update", host.Commands);
        Assert.Contains($"{AptInstaller.AptGet} install -y --no-install-recommends docker.io", host.Commands);
        Assert.Equal([DockerEngineProvisioner.Dockerd], host.Started);
    }

    [Fact]
    public async Task An_installed_but_stopped_dockerd_is_started_without_apt()
    {
        var host = new FakeHost { IsRoot = true, Files = { AptInstaller.AptGet, DockerEngineProvisioner.Dockerd } };
        using var directory = new TempDirectory();

        var state = await Provisioner(host, Engine(host)).EnsureAsync(NoDockerHost, directory.Path, TestContext.Current.CancellationToken);

        Assert.False(state.Installed);
        Assert.True(state.Started);
        Assert.Empty(host.Commands);
    }

    [Fact]
    public async Task Docker_ce_dockerd_is_started_not_replaced_by_docker_io()
    {
        var host = new FakeHost { IsRoot = true, Files = { AptInstaller.AptGet, "/usr/bin/dockerd" } };
        using var directory = new TempDirectory();

        var state = await Provisioner(host, Engine(host)).EnsureAsync(NoDockerHost, directory.Path, TestContext.Current.CancellationToken);

        Assert.False(state.Installed);
        Assert.Equal(["/usr/bin/dockerd"], host.Started);
        Assert.Empty(host.Commands);
    }

    [Fact]
    public async Task Without_root_it_says_what_to_install_and_changes_nothing()
    {
        var host = new FakeHost { IsRoot = false, Files = { AptInstaller.AptGet } };
        using var directory = new TempDirectory();

        var error = await Assert.ThrowsAsync<PlatformSetupException>(() =>
            Provisioner(host, Engine(host)).EnsureAsync(NoDockerHost, directory.Path, TestContext.Current.CancellationToken));

        Assert.Contains("needs root", error.Message);
        Assert.Contains("apt-get install docker.io", error.Message);
        Assert.Contains("DOCKER_HOST", error.Message);
        Assert.Empty(host.Commands);
        Assert.Empty(host.Started);
    }

    [Fact]
    public async Task Without_apt_it_says_what_to_install_and_changes_nothing()
    {
        var host = new FakeHost { IsRoot = true };
        using var directory = new TempDirectory();

        var error = await Assert.ThrowsAsync<PlatformSetupException>(() =>
            Provisioner(host, Engine(host)).EnsureAsync(NoDockerHost, directory.Path, TestContext.Current.CancellationToken));

        Assert.Contains("not a Debian/Ubuntu system", error.Message);
        Assert.Contains("https://docs.docker.com/engine/install/", error.Message);
        Assert.Empty(host.Commands);
        Assert.Empty(host.Started);
    }

    [Fact]
    public async Task With_installation_turned_off_it_does_not_install()
    {
        var host = new FakeHost { IsRoot = true, Files = { AptInstaller.AptGet } };
        using var directory = new TempDirectory();

        var error = await Assert.ThrowsAsync<PlatformSetupException>(() =>
            Provisioner(host, Engine(host), allowInstall: false).EnsureAsync(NoDockerHost, directory.Path, TestContext.Current.CancellationToken));

        Assert.Contains("automatic installation is turned off", error.Message);
        Assert.Empty(host.Commands);
    }

    [Fact]
    public async Task A_remote_DOCKER_HOST_that_does_not_answer_is_reported_not_replaced()
    {
        var host = new FakeHost { IsRoot = true, Files = { AptInstaller.AptGet } };
        using var directory = new TempDirectory();
        var remote = new Dictionary<string, string?> { ["DOCKER_HOST"] = "tcp://127.0.0.1:1" };

        var error = await Assert.ThrowsAsync<PlatformSetupException>(() =>
            Provisioner(host, Engine(host)).EnsureAsync(remote, directory.Path, TestContext.Current.CancellationToken));

        Assert.Contains("DOCKER_HOST=tcp://127.0.0.1:1", error.Message);
        Assert.Empty(host.Commands);
        Assert.Empty(host.Started);
    }

    [Fact]
    public async Task A_failed_apt_install_is_reported_with_the_apt_output()
    {
        var host = new FakeHost
        {
            IsRoot = true, Files = { AptInstaller.AptGet },
            Fails = (program, arguments) => program == AptInstaller.AptGet && arguments[0] == "install",
        };
        using var directory = new TempDirectory();

        var error = await Assert.ThrowsAsync<PlatformCommandException>(() =>
            Provisioner(host, Engine(host)).EnsureAsync(NoDockerHost, directory.Path, TestContext.Current.CancellationToken));

        Assert.Contains("docker.io", error.Message);
        Assert.Contains("simulated failure", error.Message);
        Assert.Empty(host.Started);
    }

    [Fact]
    public async Task A_dockerd_that_never_answers_times_out_with_its_log()
    {
        var host = new FakeHost { IsRoot = true, Files = { AptInstaller.AptGet, DockerEngineProvisioner.Dockerd } };
        using var directory = new TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(directory.Path, "dockerd.log"), "failed to start daemon: simulated", TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<PlatformSetupException>(() =>
            Provisioner(host, Engine(host, answersAfterStart: false)).EnsureAsync(NoDockerHost, directory.Path, TestContext.Current.CancellationToken));

        Assert.Contains("did not answer", error.Message);
        Assert.Contains("failed to start daemon: simulated", error.Message);
    }
}
