using System.Net;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.Platform;
using Slipway.Delivery.Platform.Supervision;
using Slipway.Testing;

namespace Slipway.Agent.Tests;

/// <summary>
/// The platform's processes as Infrastructure runs them, in a temporary root: the edge and the agent as real processes
/// under their own supervisord (Debian's supervisor package, which Infrastructure installs), staging running Beacon.
/// Under constant load on staging's port, killing the agent, upgrading it and upgrading the edge (blue/green socket
/// handover) each fail no request; the port serves only Beacon's public routes and only loopback Host names. The
/// registry runs as Infrastructure runs it: docker-registry on a unix socket, its address served by the edge.
/// </summary>
[Trait("Tier", "Engine")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SupervisedPlatformDrills(BeaconImages images) : IAsyncLifetime
{
    const int MinimumRequests = 5000;
    readonly string root = Directory.CreateTempSubdirectory("slipway-supervised-").FullName;
    readonly string instance = $"slipway-test-{Guid.NewGuid().ToString("N")[..8]}";
    readonly int agentPort = FreePort.Next();
    readonly int port = FreePort.Next();
    readonly string registryAddress = $"127.0.0.1:{FreePort.Next()}";
    string PlatformDirectory => Path.Combine(root, ".nuke", "platform");
    TestConfigRepo repo = null!;
    PlatformServices platform = null!;
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await images.EnsureBuiltAsync();
        await Registry().EnsureAsync(registryAddress, PlatformDirectory, RegistryExposure.BehindEdge, Ct);
        repo = await TestConfigRepo.CreateAsync(root);
        var revision = await repo.CommitAsync("staging", images.ImageA, replicas: 2, hostPort: port);
        platform = Platform(edgeVersion: "1", agentVersion: "1");
        await platform.EnsureAsync(Ct);
        using var client = AgentClient.ForPort(agentPort);
        await client.WaitForEnvironmentAsync("staging", revision, TimeSpan.FromSeconds(180), cancellationToken: Ct);
    }

    /// <summary>The services as Infrastructure sets them up, their "published" copies hard links of this test's build, told apart by version.</summary>
    PlatformServices Platform(string edgeVersion, string agentVersion)
    {
        var secret = Path.Combine(root, "webhook-secret");
        File.WriteAllText(secret, "drill-secret");
        ProgramSource Copy(string version) => new($"test-build-{version}",
            (directory, cancellationToken) => Processes.RunAsync("cp", ["-al", AppContext.BaseDirectory, directory], cancellationToken: cancellationToken));
        var host = new SystemHost();
        return new PlatformServices(new PlatformServicesSettings
        {
            RootDirectory = root,
            PlatformDirectory = PlatformDirectory,
            Edge = Copy(edgeVersion),
            Agent = Copy(agentVersion),
            AgentPort = agentPort,
            RegistryFront = registryAddress,
            RegistrySocket = RegistryServer.SocketUnder(PlatformDirectory),
            AgentArguments = ["--config-repo", repo.Bare, "--environments", "staging", "--interval", "1", "--instance", instance, "--drain", "1", "--readiness-timeout", "90",
                // The drills' images live in a throw-away registry on a random loopback port.
                "--allowed-registries", "127.0.0.1:*"],
            AgentSecretFiles = new Dictionary<string, string> { ["SLIPWAY_AGENT_WEBHOOK_SECRET"] = secret },
            Dotnet = Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet",
        }, new AptInstaller(host, TestLogger.Create("apt"), allowInstall: false), host, TestLogger.Create("platform"));
    }

    static RegistryServer Registry()
    {
        var host = new SystemHost();
        return new RegistryServer(host, new AptInstaller(host, TestLogger.Create("apt"), allowInstall: false), TestLogger.Create("registry"));
    }

    async Task<string> AgentPidAsync() =>
        (await Processes.RunAsync(PlatformSupervisor.Supervisorctl, ["-c", platform.Supervisor.ConfigFile, "pid", "agent"], cancellationToken: Ct)).Trim();

    async Task<Load> LoadAsync()
    {
        var load = new Load(port);
        await load.RunForAsync(MinimumRequests / 2);
        return load;
    }

    static async Task FinishAsync(Load load)
    {
        await load.RunForAsync(Math.Max(500, MinimumRequests - load.Total));
        await load.DisposeAsync();
        Assert.True(load.Failed == 0, $"{load.Failed} of {load.Total} requests failed (first: {load.FirstFailure})");
        Assert.True(load.Total >= MinimumRequests, $"only {load.Total} requests were sent");
    }

    [Fact]
    public async Task The_agent_killed_with_SIGKILL_is_back_on_its_port_within_10_s_and_no_request_fails()
    {
        var load = await LoadAsync();
        var pid = await AgentPidAsync();
        await Processes.RunAsync("kill", ["-9", pid], cancellationToken: Ct);
        using var client = AgentClient.ForPort(agentPort);
        await AgentUnderTest.EventuallyAsync(async () => (await client.IsRunningAsync(Ct), await AgentPidAsync()),
            state => state.Item1 && state.Item2 != pid, "the agent is back on its port with a new pid", seconds: 10);
        await FinishAsync(load);
    }

    [Fact]
    public async Task An_agent_upgrade_fails_no_request()
    {
        var load = await LoadAsync();
        var pid = await AgentPidAsync();
        platform = Platform(edgeVersion: "1", agentVersion: "2");
        await platform.EnsureAsync(Ct);
        Assert.NotEqual(pid, await AgentPidAsync());
        await FinishAsync(load);
    }

    [Fact]
    public async Task An_edge_upgrade_hands_the_listening_sockets_over_and_fails_no_request()
    {
        var before = await platform.ServingEdgeAsync(Ct);
        var load = await LoadAsync();
        platform = Platform(edgeVersion: "2", agentVersion: "1");
        await platform.EnsureAsync(Ct);
        var after = await platform.ServingEdgeAsync(Ct);
        Assert.NotEqual(before, after);
        Assert.Equal("STOPPED", await platform.Supervisor.StateAsync($"edge-{before}", Ct));
        await FinishAsync(load);
        // The registry's port came over with the others.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync($"http://{registryAddress}/v2/", Ct)).StatusCode);
    }

    [Fact]
    public async Task The_registry_is_reached_only_through_the_edge_which_checks_Host_while_pushes_and_docker_pulls_with_credentials_work()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var url = $"http://{registryAddress}/v2/";
        using var rebound = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Host = "rebound.example" } };
        Assert.Equal(HttpStatusCode.MisdirectedRequest, (await http.SendAsync(rebound, Ct)).StatusCode);
        using var anonymous = await http.GetAsync(url, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("registry/2.0", anonymous.Headers.GetValues("Docker-Distribution-Api-Version"));
        var registryDirectory = RegistryServer.DirectoryUnder(PlatformDirectory);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(registryDirectory));
        Assert.Contains("net: unix", await File.ReadAllTextAsync(Path.Combine(registryDirectory, "config.yml"), Ct));

        // A real image, its layers uploaded through the edge (the registry's upload URLs must lead back to it).
        var auth = RegistryAuthFiles.Under(PlatformDirectory);
        var source = Slipway.Delivery.Oci.ImageReference.Parse(images.ImageA);
        var layout = Path.Combine(root, "layout");
        using (var fixtureRegistry = new Slipway.Delivery.Registry.RegistryClient(Serilog.Core.Logger.None))
            await fixtureRegistry.PullAsync(source, layout, Ct);
        using var platformRegistry = new Slipway.Delivery.Registry.RegistryClient(Serilog.Core.Logger.None,
            host => Slipway.Delivery.Registry.DockerConfigCredentials.Find(host, auth.DockerConfig));
        var pushed = await platformRegistry.PushAsync(Slipway.Delivery.Oci.OciImageLayout.Open(layout),
            Slipway.Delivery.Oci.ImageReference.Parse($"{registryAddress}/drill/beacon"), ["v1"], Ct);
        Assert.True(pushed.BlobsUploaded > 0);

        // dockerd pulls through the edge with the platform's config.json, as the agent does.
        var reference = pushed.Pushed.ToString();
        await Processes.RunAsync("docker", ["--config", auth.DockerConfigDirectory, "pull", reference], cancellationToken: Ct);
        await Processes.RunAsync("docker", ["rmi", reference], cancellationToken: Ct);

        // The edge holding the port is no stranger: a registry restarted behind it serves at once.
        Assert.True(await Registry().StopAsync(PlatformDirectory, Ct));
        Assert.Equal(new LocalRegistryState(registryAddress, Started: true), await Registry().EnsureAsync(registryAddress, PlatformDirectory, RegistryExposure.BehindEdge, Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(url, Ct)).StatusCode);
    }

    [Fact]
    public async Task The_environment_port_serves_only_public_routes_and_loopback_host_names()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string url = $"http://127.0.0.1:{port}";
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"{url}/", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"{url}/fault/status/500", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync($"{url}/readyz/disable", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"{url}/metrics", Ct)).StatusCode);
        using var foreign = new HttpRequestMessage(HttpMethod.Get, $"{url}/") { Headers = { Host = "rebound.example" } };
        Assert.Equal(HttpStatusCode.MisdirectedRequest, (await http.SendAsync(foreign, Ct)).StatusCode);
        // Nothing refused reached a replica: every one still ready, staging still healthy.
        using var client = AgentClient.ForPort(agentPort);
        var status = (await client.GetStatusAsync(Ct)).Find("staging")!;
        Assert.Equal((2, EnvironmentHealth.Healthy), (status.ReplicasReady, status.Health));
    }

    public async ValueTask DisposeAsync()
    {
        if (platform is not null) await platform.StopAsync(CancellationToken.None);
        await Registry().StopAsync(PlatformDirectory, CancellationToken.None);
        await AgentProcess.RemoveContainersAsync(instance, Serilog.Core.Logger.None);
        try { Directory.Delete(root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
