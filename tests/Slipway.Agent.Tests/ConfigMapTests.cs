using Slipway.Agent.Tests.Infrastructure;
using Slipway.Testing;

namespace Slipway.Agent.Tests;

[Trait("Tier", "Engine")]
public sealed class ConfigMapTests(BeaconImages images) : IAsyncLifetime
{
    public ValueTask InitializeAsync() => images.EnsureBuiltAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_ConfigMap_only_change_is_reloaded_by_the_running_replicas_without_a_restart()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        var first = await agent.Repo.CommitAsync("staging", images.ImageA, replicas: 2, hostPort: port, audience: "first");
        await agent.StartAsync();
        var before = await agent.WaitForAsync("staging", first);
        Assert.Equal(before.ConfigHash, (await agent.VersionAsync(port)).ConfigHash);
        var started = await StartTimesAsync(agent);

        var second = await agent.Repo.CommitAsync("staging", images.ImageA, replicas: 2, hostPort: port, audience: "second");
        var expected = TestConfigRepo.Render("staging", images.ImageA, 2, port, "second").ConfigHash;
        var after = await agent.WaitForAsync("staging", second);

        Assert.Equal(expected, after.ConfigHash);
        Assert.NotEqual(before.ConfigHash, after.ConfigHash);
        // Every replica (the router round-robins) reports the new hash: it reloaded its mounted files.
        await AgentUnderTest.EventuallyAsync(async () => await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => agent.VersionAsync(port))),
            answers => answers.All(a => a.ConfigHash == expected), "every replica serves the new configuration", seconds: 30);
        Assert.Equal(started, await StartTimesAsync(agent));
    }

    /// <summary>Container id -> start time: a restart (by the agent or Docker) changes the start time.</summary>
    static async Task<Dictionary<string, string>> StartTimesAsync(AgentUnderTest agent)
    {
        var times = new Dictionary<string, string>();
        foreach (var container in await agent.ContainersAsync("staging"))
            times[container.ID] = (await agent.Docker.Containers.InspectContainerAsync(container.ID, TestContext.Current.CancellationToken)).State?.StartedAt ?? "";
        return times;
    }
}
