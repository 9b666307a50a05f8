using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;
using Slipway.Testing;

namespace Slipway.Agent.Tests;

/// <summary>The agent against the real Docker engine, registry and Git: apply, scale, prune.</summary>
[Trait("Tier", "Engine")]
public sealed class ApplyTests(BeaconImages images) : IAsyncLifetime
{
    public ValueTask InitializeAsync() => images.EnsureBuiltAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Applies_the_committed_revision_and_serves_it_on_the_environment_port()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        var revision = await agent.Repo.CommitAsync("staging", images.ImageA, replicas: 2, hostPort: port);
        await agent.StartAsync();

        var status = await agent.WaitForAsync("staging", revision);

        Assert.Equal(EnvironmentHealth.Healthy, status.Health);
        Assert.Equal((2, 2, port), (status.ReplicasReady, status.ReplicasDesired, status.Port));
        Assert.Equal(images.ImageA.Split('@')[1], status.ImageDigest);
        var version = await agent.VersionAsync(port);
        Assert.Equal(status.ImageDigest, version.ImageDigest);
        Assert.Equal(status.ConfigHash, version.ConfigHash);
        var containers = await agent.ContainersAsync("staging");
        Assert.Equal(2, containers.Count);
        Assert.All(containers, c =>
        {
            Assert.Equal("running", c.State);
            Assert.Equal("beacon", c.Labels[AgentLabels.App]);
            Assert.Equal(revision, c.Labels[AgentLabels.Revision]);
            Assert.Equal(images.ImageA, c.Image);
            Assert.All(c.Ports, p => Assert.Equal("127.0.0.1", p.IP));
        });
        Assert.Single(containers.Select(c => c.Labels[AgentLabels.TemplateHash]).Distinct());
    }

    [Fact]
    public async Task Scales_up_and_down_to_the_replicas_in_Git()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        await agent.StartAsync();

        await agent.WaitForAsync("staging", await agent.Repo.CommitAsync("staging", images.ImageA, replicas: 1, hostPort: port));
        Assert.Single(await agent.ContainersAsync("staging"));

        var up = await agent.WaitForAsync("staging", await agent.Repo.CommitAsync("staging", images.ImageA, replicas: 3, hostPort: port));
        Assert.Equal(3, up.ReplicasReady);
        Assert.Equal(3, (await agent.ContainersAsync("staging")).Count);

        var down = await agent.WaitForAsync("staging", await agent.Repo.CommitAsync("staging", images.ImageA, replicas: 1, hostPort: port));
        Assert.Equal(1, down.ReplicasReady);
        var left = Assert.Single(await agent.ContainersAsync("staging"));
        Assert.Equal("0", left.Labels[AgentLabels.Replica]);
        Assert.Equal(images.ImageA.Split('@')[1], (await agent.VersionAsync(port)).ImageDigest);
    }

    [Fact]
    public async Task Prunes_an_environment_Git_no_longer_has()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        await agent.StartAsync();
        await agent.WaitForAsync("staging", await agent.Repo.CommitAsync("staging", images.ImageA, replicas: 2, hostPort: port));

        var removal = await agent.Repo.RemoveEnvironmentAsync("staging", "Retire staging\n\nSlipway-Allow-Empty: true");

        await AgentUnderTest.EventuallyAsync(() => agent.ContainersAsync("staging"), c => c.Count == 0, "staging's containers are pruned");
        var status = (await agent.Client.GetStatusAsync(TestContext.Current.CancellationToken)).Find("staging")!;
        Assert.Equal(removal, status.AppliedRevision);
        Assert.Equal(0, status.ReplicasDesired);
        Assert.Contains("no environments/staging/", status.LastError, StringComparison.Ordinal);
        await Assert.ThrowsAsync<HttpRequestException>(() => agent.Http.GetAsync($"http://127.0.0.1:{port}/healthz", TestContext.Current.CancellationToken));
    }
}
