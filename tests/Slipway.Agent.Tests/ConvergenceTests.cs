using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;
using Slipway.Testing;

namespace Slipway.Agent.Tests;

/// <summary>Drift, refused revisions, restarts: the environment converges from Git and Docker's actual state.</summary>
[Trait("Tier", "Engine")]
public sealed class ConvergenceTests(BeaconImages images) : IAsyncLifetime
{
    public ValueTask InitializeAsync() => images.EnsureBuiltAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_replica_removed_or_killed_by_hand_is_replaced()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        var revision = await agent.Repo.CommitAsync("staging", images.ImageA, replicas: 2, hostPort: port);
        await agent.StartAsync();
        await agent.WaitForAsync("staging", revision);
        var before = await agent.ContainersAsync("staging");

        await agent.Docker.Containers.RemoveContainerAsync(before[0].ID, new Docker.DotNet.Models.ContainerRemoveParameters { Force = true },
            TestContext.Current.CancellationToken);
        await agent.Docker.Containers.KillContainerAsync(before[1].ID, new Docker.DotNet.Models.ContainerKillParameters(),
            TestContext.Current.CancellationToken);

        var after = await AgentUnderTest.EventuallyAsync(() => agent.ContainersAsync("staging"),
            c => c.Count == 2 && c.All(x => x.State == "running") && c.All(x => before.All(b => b.ID != x.ID)),
            "both replicas are replaced by new running containers");
        Assert.Equal(["0", "1"], after.Select(c => c.Labels[AgentLabels.Replica]).Order());
        var status = await agent.WaitForAsync("staging", revision);
        Assert.Equal(2, status.ReplicasReady);
        Assert.Equal(images.ImageA.Split('@')[1], (await agent.VersionAsync(port)).ImageDigest);
    }

    [Fact]
    public async Task A_commit_naming_the_image_by_tag_is_refused_and_the_previous_revision_keeps_serving()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        var good = await agent.Repo.CommitAsync("staging", images.ImageA, replicas: 1, hostPort: port);
        await agent.StartAsync();
        await agent.WaitForAsync("staging", good);
        var containers = await agent.ContainersAsync("staging");

        var files = (await agent.Repo.FilesAsync("staging")).ToDictionary();
        files["deployment.yaml"] = files["deployment.yaml"].Replace(images.ImageA, images.ImageA.Split('@')[0] + ":latest", StringComparison.Ordinal);
        var bad = await agent.Repo.CommitFilesAsync("staging", files, "Deploy by tag");

        var refusal = await Assert.ThrowsAsync<AgentWaitException>(() => agent.WaitForAsync("staging", bad));
        Assert.Contains(":latest", refusal.Message, StringComparison.Ordinal);
        var status = refusal.LastStatus!;
        Assert.Equal((bad, good, bad), (status.RefusedRevision, status.AppliedRevision, status.DesiredRevision));
        Assert.Equal(EnvironmentHealth.Degraded, status.Health);
        Assert.Equal(images.ImageA.Split('@')[1], (await agent.VersionAsync(port)).ImageDigest);
        Assert.Equal(containers.Select(c => c.ID), (await agent.ContainersAsync("staging")).Select(c => c.ID));

        // A fresh agent finds the last good revision in Git's history and keeps it.
        await agent.StopAsync();
        await agent.StartAsync();
        var restarted = await AgentUnderTest.EventuallyAsync(() => agent.Client.GetStatusAsync(TestContext.Current.CancellationToken),
            s => s.Find("staging")!.AppliedRevision == good, "the restarted agent applies the last good revision");
        Assert.Equal(bad, restarted.Find("staging")!.RefusedRevision);
        Assert.Equal(containers.Select(c => c.ID), (await agent.ContainersAsync("staging")).Select(c => c.ID));
    }

    [Fact]
    public async Task A_new_agent_over_existing_containers_adopts_them_without_duplicates()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        var revision = await agent.Repo.CommitAsync("staging", images.ImageA, replicas: 2, hostPort: port);
        await agent.StartAsync();
        await agent.WaitForAsync("staging", revision);
        var before = (await agent.ContainersAsync("staging")).Select(c => c.ID).Order().ToList();

        await agent.StopAsync();
        await agent.StartAsync();
        await agent.WaitForAsync("staging", revision);

        Assert.Equal(before, (await agent.ContainersAsync("staging")).Select(c => c.ID).Order());
    }

    [Fact]
    public async Task An_agent_stopped_mid_rollout_converges_when_started_again_with_no_orphan()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        await agent.StartAsync();
        await agent.WaitForAsync("staging", await agent.Repo.CommitAsync("staging", images.ImageA, replicas: 2, hostPort: port));

        var next = await agent.Repo.CommitAsync("staging", images.ImageB, replicas: 2, hostPort: port);
        await AgentUnderTest.EventuallyAsync(() => agent.ContainersAsync("staging"), c => c.Any(x => x.Image == images.ImageB),
            "the rollout has started a replica of the new image");
        await agent.StopAsync();
        var midway = await agent.ContainersAsync("staging");
        Assert.Contains(midway, c => c.Image == images.ImageA);

        await agent.StartAsync();
        var status = await agent.WaitForAsync("staging", next);

        var after = await agent.ContainersAsync("staging");
        Assert.Equal(2, after.Count);
        Assert.All(after, c => Assert.Equal(images.ImageB, c.Image));
        Assert.Equal(2, after.Select(c => c.Names[0]).Distinct().Count());
        Assert.Equal(images.ImageB.Split('@')[1], status.ImageDigest);
        Assert.Equal(images.ImageB.Split('@')[1], (await agent.VersionAsync(port)).ImageDigest);
    }

    [Fact]
    public async Task An_agent_process_killed_with_SIGKILL_mid_rollout_converges_when_started_again()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        var settings = agent.ProcessSettings(FreePort.Next());
        var logger = TestLogger.Create(agent.Instance);
        using var client = AgentClient.ForPort(settings.ApiPort);
        var cancellation = TestContext.Current.CancellationToken;
        await AgentProcess.EnsureRunningAsync(settings, logger, cancellation);
        await client.WaitForEnvironmentAsync("staging", await agent.Repo.CommitAsync("staging", images.ImageA, replicas: 2, hostPort: port),
            TimeSpan.FromMinutes(3), cancellationToken: cancellation);

        var next = await agent.Repo.CommitAsync("staging", images.ImageB, replicas: 2, hostPort: port);
        await AgentUnderTest.EventuallyAsync(() => agent.ContainersAsync("staging"), c => c.Any(x => x.Image == images.ImageB),
            "the rollout has created a replica of the new image");
        using (var process = System.Diagnostics.Process.GetProcessById(int.Parse(await File.ReadAllTextAsync(settings.PidFile, cancellation), System.Globalization.CultureInfo.InvariantCulture)))
        {
            process.Kill();
            await process.WaitForExitAsync(cancellation);
        }
        Assert.False(await client.IsRunningAsync(cancellation));

        Assert.Equal(AgentStartOutcome.Started, await AgentProcess.EnsureRunningAsync(settings, logger, cancellation));
        var status = await client.WaitForEnvironmentAsync("staging", next, TimeSpan.FromMinutes(3), cancellationToken: cancellation);

        var after = await agent.ContainersAsync("staging");
        Assert.Equal(2, after.Count);
        Assert.All(after, c => Assert.Equal(images.ImageB, c.Image));
        Assert.Equal(images.ImageB.Split('@')[1], status.ImageDigest);
        Assert.Equal(images.ImageB.Split('@')[1], (await agent.VersionAsync(port)).ImageDigest);
        Assert.True(await AgentProcess.StopAsync(settings.PidFile, logger, cancellationToken: cancellation));
    }

    [Fact]
    public async Task Disaster_recovery_restores_every_environment_from_Git()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var stagingPort = FreePort.Next();
        var productionPort = FreePort.Next();
        await agent.Repo.CommitAsync("staging", images.ImageB, replicas: 2, hostPort: stagingPort);
        var head = await agent.Repo.CommitAsync("production", images.ImageA, replicas: 2, hostPort: productionPort);
        await agent.StartAsync(environments: "staging,production");
        await agent.WaitForAsync("staging", head);
        await agent.WaitForAsync("production", head);

        // Everything gone: the agent and every container it ran.
        await agent.StopAsync();
        Assert.Equal(4, await AgentProcess.RemoveContainersAsync(agent.Instance, Serilog.Core.Logger.None, TestContext.Current.CancellationToken));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await agent.StartAsync(environments: "staging,production");
        await agent.WaitForAsync("staging", head);
        await agent.WaitForAsync("production", head);
        Figures.Report($"Disaster recovery: staging and production (2 replicas each) restored in {clock.Elapsed.TotalSeconds:0.0}s");

        Assert.Equal(images.ImageB.Split('@')[1], (await agent.VersionAsync(stagingPort)).ImageDigest);
        Assert.Equal(images.ImageA.Split('@')[1], (await agent.VersionAsync(productionPort)).ImageDigest);
        Assert.Equal(2, (await agent.ContainersAsync("staging")).Count);
        Assert.Equal(2, (await agent.ContainersAsync("production")).Count);
    }
}
