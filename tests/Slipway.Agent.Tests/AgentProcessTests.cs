using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;
using Slipway.Testing;

namespace Slipway.Agent.Tests;

/// <summary>The build's way to run the agent: detached in the background, found by its API, stopped by its pid file.</summary>
[Trait("Tier", "Engine")]
public sealed class AgentProcessTests(BeaconImages images) : IAsyncLifetime
{
    // Needs no Beacon image, but waits for their build (the first engine drill starts it): the build's load would
    // otherwise overlap this timing-sensitive drill, as it never did while the images were built before any test.
    public ValueTask InitializeAsync() => images.EnsureBuiltAsync();

    readonly string root = Directory.CreateTempSubdirectory("slipway-agent-process-").FullName;
    readonly string instance = $"slipway-test-{Guid.NewGuid().ToString("N")[..8]}";

    [Fact]
    public async Task Starts_the_agent_detached_once_and_stops_it()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var configRepo = Path.Combine(root, "config.git");
        await Processes.RunAsync("git", ["init", "--quiet", "--bare", "--initial-branch=main", configRepo], cancellationToken: cancellation);
        var port = FreePort.Next();
        var settings = new AgentLaunchSettings
        {
            AgentPath = Path.Combine(AppContext.BaseDirectory, "Slipway.Agent.dll"),
            LogFile = Path.Combine(root, "agent.log"),
            PidFile = Path.Combine(root, "agent.pid"),
            ApiPort = port,
            Arguments = ["--root", root, "--config-repo", configRepo, "--environments", "staging", "--instance", instance],
            Environment = new Dictionary<string, string>
            {
                ["SLIPWAY_AGENT_WEBHOOK_SECRET"] = "process-secret",
                ["SLIPWAY_AGENT_OPERATOR_TOKEN"] = "process-operator-token",
            },
        };
        var logger = TestLogger.Create("process");
        await using var edge = await InProcessEdge.StartAsync(root, cancellation);

        Assert.Equal(AgentStartOutcome.Started, await AgentProcess.EnsureRunningAsync(settings, logger, cancellation));
        Assert.Equal(AgentStartOutcome.AlreadyRunning, await AgentProcess.EnsureRunningAsync(settings, logger, cancellation));
        Assert.True(File.Exists(settings.PidFile));

        using var client = AgentClient.ForPort(port);
        var status = await AgentUnderTest.EventuallyAsync(() => client.GetStatusAsync(cancellation), s => s.LastFetch is not null, "the agent fetched");
        Assert.Contains("no commit", status.Find("staging")!.LastError, StringComparison.Ordinal);
        await client.TriggerSyncAsync("process-secret", cancellation);
        using (var operatorClient = AgentClient.ForPort(port, "process-operator-token"))
            await operatorClient.RequestSyncAsync(cancellation);
        using (var wrongToken = AgentClient.ForPort(port, "not-the-token"))
            await Assert.ThrowsAsync<AgentOperatorTokenRejectedException>(() => wrongToken.RequestSyncAsync(cancellation));

        Assert.True(await AgentProcess.StopAsync(settings.PidFile, logger, cancellationToken: cancellation));
        Assert.False(await client.IsRunningAsync(cancellation));
        Assert.False(File.Exists(settings.PidFile));
        Assert.False(await AgentProcess.StopAsync(settings.PidFile, logger, cancellationToken: cancellation));
        Assert.Contains("Agent following", await File.ReadAllTextAsync(settings.LogFile, cancellation), StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        await AgentProcess.StopAsync(Path.Combine(root, "agent.pid"), Serilog.Core.Logger.None);
        await AgentProcess.RemoveContainersAsync(instance, Serilog.Core.Logger.None);
        Directory.Delete(root, recursive: true);
    }
}
