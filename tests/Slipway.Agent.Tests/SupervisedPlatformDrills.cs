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
/// handover) each fail no request; the port serves only Beacon's public routes and only loopback Host names.
/// </summary>
[Trait("Tier", "Engine")]
public sealed class SupervisedPlatformDrills(BeaconImages images) : IAsyncLifetime
{
    const int MinimumRequests = 5000;
    readonly string root = Directory.CreateTempSubdirectory("slipway-supervised-").FullName;
    readonly string instance = $"slipway-test-{Guid.NewGuid().ToString("N")[..8]}";
    readonly int agentPort = FreePort.Next();
    readonly int port = FreePort.Next();
    TestConfigRepo repo = null!;
    PlatformServices platform = null!;
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await images.EnsureBuiltAsync();
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
            PlatformDirectory = Path.Combine(root, ".nuke", "platform"),
            Edge = Copy(edgeVersion),
            Agent = Copy(agentVersion),
            AgentPort = agentPort,
            AgentArguments = ["--config-repo", repo.Bare, "--environments", "staging", "--interval", "1", "--instance", instance, "--drain", "1", "--readiness-timeout", "90",
                // The drills' images live in a throw-away registry on a random loopback port.
                "--allowed-registries", "127.0.0.1:*"],
            AgentSecretFiles = new Dictionary<string, string> { ["SLIPWAY_AGENT_WEBHOOK_SECRET"] = secret },
            Dotnet = Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet",
        }, new AptInstaller(host, TestLogger.Create("apt"), allowInstall: false), host, TestLogger.Create("platform"));
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
        await AgentProcess.RemoveContainersAsync(instance, Serilog.Core.Logger.None);
        try { Directory.Delete(root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
