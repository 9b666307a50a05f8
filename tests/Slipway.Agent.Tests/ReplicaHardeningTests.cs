using System.Net.Http.Json;
using Slipway.Agent.Backends.Docker;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.Docker;
using Slipway.Testing;

namespace Slipway.Agent.Tests;

/// <summary>
/// Replicas on the real engine run hardened when the manifest is silent (non-root, read-only root filesystem with a tmpfs
/// /tmp, no capabilities, no-new-privileges, pids and memory limits) and each environment on its own Docker network,
/// as `docker inspect` shows; Beacon serves under all of it.
/// </summary>
[Trait("Tier", "Engine")]
public sealed class ReplicaHardeningTests(BeaconImages images) : IAsyncLifetime
{
    public ValueTask InitializeAsync() => images.EnsureBuiltAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_silent_manifest_gets_the_hardened_defaults_and_each_environment_its_own_network()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var (stagingPort, productionPort) = (FreePort.Next(), FreePort.Next());
        // Beacon's manifest without any securityContext or resource limits: what hardening applies is the agent's default.
        var silent = TestConfigRepo.Render("staging", images.ImageA, replicas: 1, hostPort: stagingPort, audience: "tests").Files.ToDictionary();
        silent["deployment.yaml"] = WithoutSecurityAndLimits(silent["deployment.yaml"]);
        await agent.Repo.CommitFilesAsync("staging", silent, "Deploy with a silent manifest");
        var head = await agent.Repo.CommitAsync("production", images.ImageA, replicas: 1, hostPort: productionPort);
        await agent.StartAsync(environments: "staging,production");
        await agent.WaitForAsync("staging", head);
        await agent.WaitForAsync("production", head);

        var replica = (await agent.ContainersAsync("staging")).Single();
        var inspected = await agent.Docker.Containers.InspectContainerAsync(replica.ID, TestContext.Current.CancellationToken);
        Assert.Equal(WorkloadSpec.DefaultUser, inspected.Config!.User);
        Assert.True(inspected.HostConfig!.ReadonlyRootfs);
        Assert.Contains("/tmp", inspected.HostConfig!.Tmpfs!.Keys);
        Assert.Equal(["ALL"], inspected.HostConfig!.CapDrop!);
        Assert.Contains("no-new-privileges", inspected.HostConfig!.SecurityOpt!);
        Assert.Equal(DockerContainerRuntime.PidsLimit, inspected.HostConfig!.PidsLimit);
        Assert.Equal(WorkloadSpec.DefaultMemoryBytes, inspected.HostConfig!.Memory);
        Assert.Equal(DockerContainerRuntime.NetworkName(agent.Instance, "staging"), inspected.HostConfig!.NetworkMode);
        Assert.All(inspected.HostConfig!.PortBindings!.Values.SelectMany(b => b), binding => Assert.Equal("127.0.0.1", binding.HostIP));
        Assert.Equal("ok", (await agent.Http.GetFromJsonAsync<Dictionary<string, string>>($"http://127.0.0.1:{stagingPort}/healthz",
            TestContext.Current.CancellationToken))!["status"]);

        // Production declares its own hardening (uid 1654, 256 MiB): the manifest wins, the network is production's alone.
        var productionReplica = (await agent.ContainersAsync("production")).Single();
        var productionInspected = await agent.Docker.Containers.InspectContainerAsync(productionReplica.ID, TestContext.Current.CancellationToken);
        Assert.Equal("1654:1654", productionInspected.Config!.User);
        Assert.Equal(256L * 1024 * 1024, productionInspected.HostConfig!.Memory);
        Assert.Equal(DockerContainerRuntime.NetworkName(agent.Instance, "production"), productionInspected.HostConfig!.NetworkMode);
        Assert.DoesNotContain(productionInspected.NetworkSettings!.Networks!.Keys, n => n is "bridge" || n.EndsWith("-staging", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_network_removed_behind_the_agents_back_is_made_again_at_the_next_replica_start()
    {
        var ct = TestContext.Current.CancellationToken;
        using var docker = await DockerEngine.ConnectAsync(cancellationToken: ct);
        var runtime = new DockerContainerRuntime(docker);
        var instance = $"network-test-{Guid.NewGuid():N}"[..24];
        var network = DockerContainerRuntime.NetworkName(instance, "staging");
        var labels = new Dictionary<string, string> { [AgentLabels.Agent] = instance, [AgentLabels.Environment] = "staging" };
        ContainerDefinition Replica(string name) => new($"{instance}-{name}", images.ImageA, [], null, labels, [8080], [], [], null, null, false, false, false);
        try
        {
            await runtime.EnsureImageAsync(images.ImageA, TestLogger.Create("network"), ct);
            var first = await runtime.CreateAndStartAsync(Replica("first"), ct);
            await runtime.StopAndRemoveAsync(first.Id, ct);
            await docker.Networks.DeleteNetworkAsync(network, ct);   // docker network prune, with nothing running

            var second = await runtime.CreateAndStartAsync(Replica("second"), ct);

            Assert.True(second.IsRunning);
            var inspected = await docker.Containers.InspectContainerAsync(second.Id, ct);
            Assert.Equal(network, inspected.HostConfig!.NetworkMode);
        }
        finally
        {
            foreach (var leftover in await runtime.ListAsync(labels, null, CancellationToken.None))
                await runtime.RemoveAsync(leftover.Id, CancellationToken.None);
            try
            {
                await docker.Networks.DeleteNetworkAsync(network, CancellationToken.None);
            }
            catch (Docker.DotNet.DockerNetworkNotFoundException)
            {
                // never made: the first start failed before it
            }
        }
    }

    /// <summary>deployment.yaml without the pod's and the container's securityContext and without resources.</summary>
    static string WithoutSecurityAndLimits(string deployment)
    {
        var kept = new List<string>();
        var skipIndent = -1;
        foreach (var line in deployment.Split('\n'))
        {
            var indent = line.Length - line.TrimStart().Length;
            if (skipIndent >= 0 && (line.Trim().Length == 0 || indent > skipIndent)) continue;
            skipIndent = -1;
            var key = line.Trim();
            if (key is "securityContext:" or "resources:")
            {
                skipIndent = indent;
                continue;
            }
            kept.Add(line);
        }
        return string.Join('\n', kept);
    }
}
