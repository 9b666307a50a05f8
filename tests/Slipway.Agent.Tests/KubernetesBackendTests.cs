using System.Globalization;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;
using Slipway.Testing;
using Slipway.Testing.Kubernetes;

namespace Slipway.Agent.Tests;

/// <summary>
/// The whole agent (pull loop, status API) with <c>--backend kubernetes</c>, against the Kubernetes API SIMULATION
/// (an in-process fake API server and Deployment controller; no cluster runs here) and a real bare Git config repo.
/// </summary>
public sealed class KubernetesBackendTests : IAsyncLifetime
{
    const string Environment = "staging";
    static readonly string ImageA = "127.0.0.1:5000/beacon@sha256:" + new string('a', 64);
    static readonly string ImageB = "127.0.0.1:5000/beacon@sha256:" + new string('b', 64);

    readonly string directory = Directory.CreateTempSubdirectory("slipway-agent-k8s-").FullName;
    KubernetesApiSimulation simulation = null!;
    IKubernetes client = null!;
    TestConfigRepo repo = null!;
    WebApplication? agent;
    AgentClient status = null!;

    public async ValueTask InitializeAsync()
    {
        simulation = await KubernetesApiSimulation.StartAsync();
        client = simulation.CreateClient();
        // The agent has no cluster-wide rights (deploy/kubernetes/agent-rbac.yaml creates its namespaces).
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Environment } },
            cancellationToken: TestContext.Current.CancellationToken);
        repo = await TestConfigRepo.CreateAsync(directory);
    }

    async Task StartAgentAsync() =>
        // The images here exist nowhere: no signature check leaves the process (the gate has SignatureGateSyncTests).
        (agent, status) = await SimulatedClusterAgent.StartAsync(simulation, directory, repo, Environment, "0.5", "k8s-agent",
            Fakes.FakeImageVerification.SigningEverything(), TestContext.Current.CancellationToken);

    async Task<EnvironmentStatus> WaitForAsync(Func<EnvironmentStatus, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        EnvironmentStatus? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = (await status.GetStatusAsync(TestContext.Current.CancellationToken)).Find(Environment);
            if (last is not null && condition(last)) return last;
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
        throw new TimeoutException($"{what}: not reached within 60 s; last status: {last}");
    }

    [Fact]
    public async Task A_commit_is_applied_by_server_side_apply_rolled_out_and_reported_then_a_new_image_rolls_out()
    {
        var first = await repo.CommitAsync(Environment, ImageA, replicas: 2, hostPort: 8081);
        await StartAgentAsync();

        var applied = await WaitForAsync(s => s.AppliedRevision == first && s.Health == EnvironmentHealth.Healthy, "first revision applied");
        Assert.Equal("sha256:" + new string('a', 64), applied.ImageDigest);
        Assert.Equal(2, applied.ReplicasReady);
        Assert.Equal(8081, applied.Port);
        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync("beacon", Environment, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Contains(deployment.Metadata.ManagedFields, entry => entry.Manager == "slipway");
        Assert.Equal("slipway", deployment.Metadata.Labels["app.kubernetes.io/managed-by"]);
        Assert.Null(simulation.Find("Namespace", null, "production"));   // only its own namespace touched

        var second = await repo.CommitAsync(Environment, ImageB, replicas: 2, hostPort: 8081);
        var rolled = await WaitForAsync(s => s.AppliedRevision == second && s.Health == EnvironmentHealth.Healthy, "second revision applied");
        Assert.Equal("sha256:" + new string('b', 64), rolled.ImageDigest);
        Assert.Contains(simulation.Controller.CompletedRollouts, rollout => rollout.Namespace == Environment && rollout.Image == ImageB);
    }

    [Fact]
    public async Task A_stalled_rollout_is_reported_with_the_deadline_message_and_never_marked_applied()
    {
        var first = await repo.CommitAsync(Environment, ImageA, replicas: 1, hostPort: 8081);
        await StartAgentAsync();
        await WaitForAsync(s => s.AppliedRevision == first, "first revision applied");

        simulation.Controller.DefaultBehaviour = SimulatedRollout.Stall;
        var stalled = await repo.CommitAsync(Environment, ImageB, replicas: 1, hostPort: 8081);
        var report = await WaitForAsync(s => s.LastError?.Contains(Slipway.Delivery.Kubernetes.RolloutStatus.ProgressDeadlineExceeded, StringComparison.Ordinal) == true,
            "the stalled rollout reported");

        Assert.NotEqual(stalled, report.AppliedRevision);
        Assert.NotEqual(EnvironmentHealth.Healthy, report.Health);
    }

    [Fact]
    public async Task An_environment_removed_from_Git_is_pruned_from_the_cluster()
    {
        var first = await repo.CommitAsync(Environment, ImageA, replicas: 1, hostPort: 8081);
        await StartAgentAsync();
        await WaitForAsync(s => s.AppliedRevision == first, "first revision applied");
        Assert.NotNull(simulation.Find("Deployment", Environment, "beacon"));

        await repo.RemoveEnvironmentAsync(Environment, $"Retire {Environment}\n\nSlipway-Allow-Empty: true");
        await WaitForAsync(s => s.ReplicasDesired == 0 && s.ImageDigest is null, "environment pruned");

        Assert.Null(simulation.Find("Deployment", Environment, "beacon"));
        Assert.Null(simulation.Find("Service", Environment, "beacon"));
        Assert.NotNull(simulation.Find("Namespace", null, Environment));   // the namespace is not the agent's to delete
    }

    public async ValueTask DisposeAsync()
    {
        if (agent is not null)
        {
            await agent.StopAsync();
            await agent.DisposeAsync();
        }
        status?.Dispose();
        client.Dispose();
        await simulation.DisposeAsync();
        try { Directory.Delete(directory, recursive: true); }
        catch (IOException) { }   // git may still hold a file for a moment; the temp folder is cleaned by the system
    }
}
