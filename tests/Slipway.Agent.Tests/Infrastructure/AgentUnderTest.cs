using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Docker.DotNet;
using Docker.DotNet.Models;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.Docker;
using Slipway.Testing;

namespace Slipway.Agent.Tests.Infrastructure;

/// <summary>
/// A config repo plus the agent and its edge running in-process on free ports, with its own instance name so its
/// containers are told apart from everyone else's. Disposal stops both and removes every container of the instance.
/// </summary>
sealed class AgentUnderTest : IAsyncDisposable
{
    public const string Secret = "test-webhook-secret";

    readonly string directory;
    WebApplication? app;

    AgentUnderTest(string directory, TestConfigRepo repo, DockerClient docker, InProcessEdge edge)
    {
        this.directory = directory;
        Repo = repo;
        Docker = docker;
        Edge = edge;
    }

    /// <summary>Serves the environments' ports; an agent restart leaves it running.</summary>
    public InProcessEdge Edge { get; }

    public TestConfigRepo Repo { get; }
    public string WorkDirectory => Path.Combine(directory, "agent");
    public DockerClient Docker { get; }
    public string Instance { get; } = $"slipway-test-{Guid.NewGuid().ToString("N")[..8]}";
    public int ApiPort { get; private set; }
    public AgentClient Client { get; private set; } = null!;
    public TimeSpan Interval { get; private set; } = TimeSpan.FromSeconds(1);
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };

    public static async Task<AgentUnderTest> CreateAsync()
    {
        var directory = Directory.CreateTempSubdirectory("slipway-agent-test-").FullName;
        return new AgentUnderTest(directory, await TestConfigRepo.CreateAsync(directory), await DockerEngine.ConnectAsync(),
            await InProcessEdge.StartAsync(directory, TestContext.Current.CancellationToken));
    }

    /// <summary>Starts (or starts again, as a fresh instance over the same work dir and containers) the agent.</summary>
    /// <param name="operatorToken">The dashboard's operator token (as SLIPWAY_AGENT_OPERATOR_TOKEN would give it); null: none.</param>
    public async Task StartAsync(TimeSpan? interval = null, string environments = "staging", string? operatorToken = null)
    {
        if (app is not null) throw new InvalidOperationException("The agent is running; stop it first.");
        Interval = interval ?? Interval;
        ApiPort = FreePort.Next();
        Client?.Dispose();
        Client = AgentClient.ForPort(ApiPort);
        app = await AgentHost.BuildAsync([
            "--root", directory,
            "--config-repo", Repo.Bare,
            "--work-dir", Path.Combine(directory, "agent"),
            "--environments", environments,
            "--interval", Interval.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--api-port", ApiPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--webhook-secret", Secret,
            "--instance", Instance,
            "--drain", "1",
            "--readiness-timeout", "90",
            // In-process, so no real command line: the configuration key the environment variable maps to.
            .. operatorToken is null ? Array.Empty<string>() : ["--Agent:OperatorToken", operatorToken],
            // The drills' images live in throw-away registries on random loopback ports.
            "--allowed-registries", "127.0.0.1:*",
        ], TestLogger.Create(Instance), TestContext.Current.CancellationToken);
        await app.StartAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>How to run this same agent as a separate, detached process (the build's way).</summary>
    public AgentLaunchSettings ProcessSettings(int apiPort) => new()
    {
        AgentPath = Path.Combine(AppContext.BaseDirectory, "Slipway.Agent.dll"),
        LogFile = Path.Combine(directory, "agent.log"),
        PidFile = Path.Combine(directory, "agent.pid"),
        ApiPort = apiPort,
        Arguments = ["--root", directory, "--config-repo", Repo.Bare, "--work-dir", Path.Combine(directory, "agent"), "--environments", "staging",
            "--interval", "1", "--instance", Instance, "--drain", "1", "--allowed-registries", "127.0.0.1:*"],
        Environment = new Dictionary<string, string> { ["SLIPWAY_AGENT_WEBHOOK_SECRET"] = Secret },
    };

    /// <summary>Stops the agent process-equivalent, leaving its containers running (as a crash would).</summary>
    public async Task StopAsync()
    {
        if (app is null) return;
        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
        app = null;
    }

    public Task<EnvironmentStatus> WaitForAsync(string environment, string revision, int seconds = 180) =>
        Client.WaitForEnvironmentAsync(environment, revision, TimeSpan.FromSeconds(seconds), cancellationToken: TestContext.Current.CancellationToken);

    public async Task<IReadOnlyList<ContainerListResponse>> ContainersAsync(string environment) =>
        (await Docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{AgentLabels.Agent}={Instance}"] = true, [$"{AgentLabels.Environment}={environment}"] = true },
            },
        })).ToList();

    public async Task<VersionAnswer> VersionAsync(int port) =>
        (await Http.GetFromJsonAsync<VersionAnswer>($"http://127.0.0.1:{port}/version", TestContext.Current.CancellationToken))!;

    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> after the bound.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, string what, int seconds = 120)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        T last;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                last = await probe();
                if (condition(last)) return last;
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or AgentUnavailableException)
            {
                last = default!;
                lastError = exception;
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Not within {seconds}s: {what}. Last: {last}{(lastError is null ? "" : $" ({lastError.Message})")}");
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await AgentProcess.StopAsync(Path.Combine(directory, "agent.pid"), Serilog.Core.Logger.None);
        await Edge.DisposeAsync();
        await AgentProcess.RemoveContainersAsync(Instance, Serilog.Core.Logger.None);
        Client?.Dispose();
        Http.Dispose();
        Docker.Dispose();
        try { Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

public sealed record VersionAnswer(string Version, string? Commit, string? BuildTime, string? ImageDigest, string ConfigHash);
