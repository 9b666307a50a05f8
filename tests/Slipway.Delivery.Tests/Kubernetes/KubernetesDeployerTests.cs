using System.Text.Json;
using k8s;
using k8s.Models;
using Slipway.Delivery.Kubernetes;
using Slipway.Delivery.Tests.ConfigRepo;
using Slipway.Testing.Kubernetes;

namespace Slipway.Delivery.Tests.Kubernetes;

/// <summary>The deployer against the Kubernetes API SIMULATION (or a real cluster, see <see cref="KubernetesTestTarget"/>).</summary>
public sealed class KubernetesDeployerTests
{
    private static readonly KubernetesDeployerOptions Options = new() { RolloutTimeout = TimeSpan.FromMinutes(1) };
    private readonly CollectingSink _log = new();

    private KubernetesDeployer Deployer(KubernetesTestTarget target, KubernetesDeployerOptions? options = null) =>
        new(target.Client, _log.Logger(), options ?? Options);

    [Fact]
    public async Task A_deploy_is_applied_by_the_slipway_field_manager_labelled_inventoried_and_rolled_out()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var manifests = TestManifests.For(target.Environment, TestManifests.Image('a'));

        var result = await Deployer(target).DeployAsync(manifests, TestContext.Current.CancellationToken);

        Assert.Equal(RolloutState.Complete, result.Rollout.State);
        Assert.Equal(2, result.Rollout.AvailableReplicas);
        var deployment = await target.Client.AppsV1.ReadNamespacedDeploymentAsync("beacon", target.Environment, cancellationToken: TestContext.Current.CancellationToken);
        var slipway = Assert.Single(deployment.Metadata.ManagedFields, entry => entry.Manager == "slipway");
        Assert.Equal("Apply", slipway.Operation);
        var fields = JsonSerializer.Serialize(slipway.FieldsV1);
        Assert.Contains("\"f:replicas\"", fields);
        Assert.Contains("\"f:template\"", fields);
        Assert.Equal(TestManifests.Image('a'), deployment.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal("slipway", deployment.Metadata.Labels["app.kubernetes.io/managed-by"]);
        Assert.Equal(target.Environment, deployment.Metadata.Labels["slipway.dev/environment"]);

        var ns = await target.Client.CoreV1.ReadNamespaceAsync(target.Environment, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("slipway", ns.Metadata.Labels["app.kubernetes.io/managed-by"]);
        var inventory = await target.Client.CoreV1.ReadNamespacedConfigMapAsync("slipway-inventory", target.Environment,
            cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("apps/v1 Deployment beacon\nv1 ConfigMap beacon-config\nv1 Service beacon\n", inventory.Data["objects"]);
        if (target.Simulation is { } simulation)
            Assert.Contains(simulation.Controller.CompletedRollouts, rollout => rollout.Name == "beacon" && rollout.Image == TestManifests.Image('a'));
    }

    [Fact]
    public async Task Re_applying_the_same_manifests_changes_nothing()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var manifests = TestManifests.For(target.Environment, TestManifests.Image('a'));
        var deployer = Deployer(target);
        await deployer.DeployAsync(manifests, TestContext.Current.CancellationToken);
        var before = await target.Client.AppsV1.ReadNamespacedDeploymentAsync("beacon", target.Environment, cancellationToken: TestContext.Current.CancellationToken);

        await deployer.DeployAsync(manifests, TestContext.Current.CancellationToken);

        var after = await target.Client.AppsV1.ReadNamespacedDeploymentAsync("beacon", target.Environment, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(before.Metadata.Generation, after.Metadata.Generation);
        Assert.Equal(before.Metadata.ResourceVersion, after.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task A_field_another_manager_changed_is_reported_as_a_conflict_and_not_forced()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var manifests = TestManifests.For(target.Environment, TestManifests.Image('a'));
        var deployer = Deployer(target);
        await deployer.DeployAsync(manifests, TestContext.Current.CancellationToken);
        // Someone scales by hand (kubectl edit/scale): an update by another manager takes the field over.
        await target.Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("{\"spec\":{\"replicas\":5}}", V1Patch.PatchType.MergePatch),
            "beacon", target.Environment, fieldManager: "kubectl-edit", cancellationToken: TestContext.Current.CancellationToken);

        var conflict = await Assert.ThrowsAsync<KubernetesApplyConflictException>(() =>
            deployer.DeployAsync(TestManifests.For(target.Environment, TestManifests.Image('b')), TestContext.Current.CancellationToken));

        Assert.Equal($"Deployment {target.Environment}/beacon", conflict.ObjectDescription);
        Assert.Contains(new FieldConflict(".spec.replicas", "kubectl-edit"), conflict.Conflicts);
        Assert.Contains(".spec.replicas is managed by 'kubectl-edit'", conflict.Message);
        Assert.Contains("not forced", conflict.Message);
        var live = await target.Client.AppsV1.ReadNamespacedDeploymentAsync("beacon", target.Environment, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(5, live.Spec.Replicas);
        Assert.Equal(TestManifests.Image('a'), live.Spec.Template.Spec.Containers[0].Image);
    }

    [Fact]
    public async Task An_object_Git_no_longer_has_is_pruned_and_objects_Slipway_does_not_own_are_left_alone()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var deployer = Deployer(target);
        var first = TestManifests.For(target.Environment, TestManifests.Image('a'));
        await deployer.DeployAsync(first, TestContext.Current.CancellationToken);
        var foreign = new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "someone-elses", NamespaceProperty = target.Environment },
            Data = new Dictionary<string, string> { ["k"] = "v" },
        };
        await target.Client.CoreV1.CreateNamespacedConfigMapAsync(foreign, target.Environment, cancellationToken: TestContext.Current.CancellationToken);

        // The next revision renames the ConfigMap: the old one is no longer in Git.
        var second = TestManifests.For(target.Environment, TestManifests.Image('a'));
        second.ConfigMap.Metadata.Name = "beacon-settings";
        second.Deployment.Spec.Template.Spec.Volumes.Single(volume => volume.ConfigMap is not null).ConfigMap.Name = "beacon-settings";
        var result = await deployer.DeployAsync(second, TestContext.Current.CancellationToken);

        Assert.Equal([new KubernetesObjectReference("v1", "ConfigMap", target.Environment, "beacon-config")], result.Pruned);
        var names = (await target.Client.CoreV1.ListNamespacedConfigMapAsync(target.Environment, cancellationToken: TestContext.Current.CancellationToken))
            .Items.Select(item => item.Metadata.Name).Order().ToList();
        Assert.Equal(["beacon-settings", "slipway-inventory", "someone-elses"], names);
        Assert.Matches("Pruned .*ConfigMap .*/beacon-config", _log.Text);
    }

    [Fact]
    public async Task A_stalled_rollout_is_reported_as_failed_with_the_condition_message()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var simulation = target.RequireSimulation();
        simulation.Controller.SetBehaviour(target.Environment, "beacon", SimulatedRollout.Stall);

        var failure = await Assert.ThrowsAsync<KubernetesRolloutException>(() =>
            Deployer(target).DeployAsync(TestManifests.For(target.Environment, TestManifests.Image('a')), TestContext.Current.CancellationToken));

        Assert.Equal(RolloutState.Failed, failure.LastStatus!.State);
        Assert.Contains("ProgressDeadlineExceeded", failure.Message);
        Assert.Matches("ReplicaSet \"beacon-[0-9a-f]+\" has timed out progressing", failure.Message);
    }

    [Fact]
    public async Task A_rollout_that_does_not_finish_in_time_fails_with_its_last_status()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var simulation = target.RequireSimulation();
        simulation.Controller.SetBehaviour(target.Environment, "beacon", SimulatedRollout.Manual);
        var deployer = Deployer(target, Options with { RolloutTimeout = TimeSpan.FromSeconds(1) });

        var failure = await Assert.ThrowsAsync<KubernetesRolloutException>(() =>
            deployer.DeployAsync(TestManifests.For(target.Environment, TestManifests.Image('a')), TestContext.Current.CancellationToken));

        Assert.Contains("rollout not complete after 1s", failure.Message);
        Assert.Contains("waiting for the controller to observe generation 1", failure.Message);
    }

    [Fact]
    public async Task The_rollout_wait_follows_the_status_as_the_controller_moves_it()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var simulation = target.RequireSimulation();
        simulation.Controller.SetBehaviour(target.Environment, "beacon", SimulatedRollout.Manual);
        var deployer = Deployer(target);
        var deploy = deployer.DeployAsync(TestManifests.For(target.Environment, TestManifests.Image('a')), TestContext.Current.CancellationToken);
        await WaitUntil(() => simulation.ActiveWatches > 0);

        // Half way: observed, one of two updated and available.
        simulation.Controller.SetStatus(target.Environment, "beacon", System.Text.Json.Nodes.JsonNode.Parse(
            """{"observedGeneration":1,"replicas":1,"updatedReplicas":1,"availableReplicas":1}""")!.AsObject());
        var halfway = await deployer.GetRolloutStatusAsync(target.Environment, "beacon", TestContext.Current.CancellationToken);
        Assert.Equal(RolloutState.Progressing, halfway.State);
        await WaitUntil(() => _log.Text.Contains("1 of 2 replicas updated", StringComparison.Ordinal));
        Assert.False(deploy.IsCompleted);

        simulation.Controller.CompleteRollout(target.Environment, "beacon");
        var result = await deploy;
        Assert.Equal(RolloutState.Complete, result.Rollout.State);
    }

    [Fact]
    public async Task The_rollout_wait_resumes_when_the_server_ends_its_watch()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var simulation = target.RequireSimulation();
        simulation.Controller.SetBehaviour(target.Environment, "beacon", SimulatedRollout.Manual);
        simulation.WatchLifetime = TimeSpan.FromMilliseconds(50);
        var deploy = Deployer(target).DeployAsync(TestManifests.For(target.Environment, TestManifests.Image('a')), TestContext.Current.CancellationToken);

        // Each watch ends after 50 ms without an event; the waiter must come back with a new one (or fail, ending the wait).
        await WaitUntil(() => deploy.IsCompleted || simulation.Requests.Count(request => request.Verb == "watch" && request.Resource == "deployments") >= 3);
        simulation.Controller.CompleteRollout(target.Environment, "beacon");

        Assert.Equal(RolloutState.Complete, (await deploy).Rollout.State);
    }

    [Fact]
    public async Task A_rollback_re_applies_the_previous_manifests_and_the_old_image_rolls_out()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var deployer = Deployer(target);
        var previous = TestManifests.For(target.Environment, TestManifests.Image('a'));
        await deployer.DeployAsync(previous, TestContext.Current.CancellationToken);
        await deployer.DeployAsync(TestManifests.For(target.Environment, TestManifests.Image('b')), TestContext.Current.CancellationToken);

        var result = await deployer.RollbackAsync(previous, TestContext.Current.CancellationToken);

        Assert.Equal(RolloutState.Complete, result.Rollout.State);
        var live = await target.Client.AppsV1.ReadNamespacedDeploymentAsync("beacon", target.Environment, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(TestManifests.Image('a'), live.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal(3, live.Metadata.Generation);
        if (target.Simulation is { } simulation)
            Assert.Equal([TestManifests.Image('a'), TestManifests.Image('b'), TestManifests.Image('a')],
                simulation.Controller.CompletedRollouts.Where(rollout => rollout.Name == "beacon").Select(rollout => rollout.Image));
    }

    [Fact]
    public async Task Api_discovery_tells_whether_the_cluster_serves_the_Gateway_API()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var simulation = target.RequireSimulation();
        var deployer = Deployer(target);

        Assert.False(await deployer.ServesApiGroupAsync(KubernetesDeployer.GatewayApiGroup, TestContext.Current.CancellationToken));
        Assert.True(await deployer.ServesApiGroupAsync("apps", TestContext.Current.CancellationToken));
        simulation.ServesGatewayApi = true;
        Assert.True(await deployer.ServesApiGroupAsync(KubernetesDeployer.GatewayApiGroup, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task The_environment_status_reports_what_runs_and_why_it_is_not_converged()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var simulation = target.RequireSimulation();
        var deployer = Deployer(target);
        var manifests = TestManifests.For(target.Environment, TestManifests.Image('a'));
        var progress = new List<RolloutStatus>();
        Assert.False((await deployer.GetEnvironmentStatusAsync(target.Environment, TestContext.Current.CancellationToken)).Converged);

        await deployer.DeployAsync(manifests, new SynchronousProgress(progress), TestContext.Current.CancellationToken);
        var healthy = await deployer.GetEnvironmentStatusAsync(target.Environment, TestContext.Current.CancellationToken);

        Assert.Equal(RolloutState.Complete, progress[^1].State);
        Assert.True(healthy.Converged, healthy.Problem);
        Assert.Equal((2, 2), (healthy.ReplicasReady, healthy.ReplicasDesired));
        Assert.Equal(TestManifests.Image('a'), healthy.Image);
        Assert.Equal(manifests.ConfigMap.Metadata.Annotations["slipway.dev/config-hash"], healthy.ConfigHash);
        Assert.Equal(manifests.HostPort, healthy.HostPort);

        simulation.Controller.SetBehaviour(target.Environment, "beacon", SimulatedRollout.Stall);
        await Assert.ThrowsAsync<KubernetesRolloutException>(() =>
            deployer.DeployAsync(TestManifests.For(target.Environment, TestManifests.Image('b')), TestContext.Current.CancellationToken));
        var stalled = await deployer.GetEnvironmentStatusAsync(target.Environment, TestContext.Current.CancellationToken);
        Assert.False(stalled.Converged);
        Assert.Contains("has timed out progressing", stalled.Problem);
        Assert.Equal(0, stalled.ReplicasReady);
    }

    [Fact]
    public async Task Removing_an_environment_deletes_what_Slipway_applied_there_and_nothing_else()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var deployer = Deployer(target);
        await deployer.DeployAsync(TestManifests.For(target.Environment, TestManifests.Image('a')), TestContext.Current.CancellationToken);
        await target.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "someone-elses" } },
            target.Environment, cancellationToken: TestContext.Current.CancellationToken);

        var removed = await deployer.RemoveEnvironmentAsync(target.Environment, TestContext.Current.CancellationToken);

        Assert.Equal(3, removed.Count);
        var configMaps = await target.Client.CoreV1.ListNamespacedConfigMapAsync(target.Environment, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["someone-elses"], configMaps.Items.Select(item => item.Metadata.Name));
        Assert.Empty((await target.Client.AppsV1.ListNamespacedDeploymentAsync(target.Environment, cancellationToken: TestContext.Current.CancellationToken)).Items);
        Assert.Empty(await deployer.RemoveEnvironmentAsync(target.Environment, TestContext.Current.CancellationToken));
    }

    /// <summary>Collects reports on the reporting thread (Progress&lt;T&gt; would post them later).</summary>
    private sealed class SynchronousProgress(List<RolloutStatus> reports) : IProgress<RolloutStatus>
    {
        public void Report(RolloutStatus value)
        {
            lock (reports) reports.Add(value);
        }
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        // Waiting for another task's effect, not measuring time: the test's own timeout bounds it.
        while (!condition()) await Task.Delay(10, TestContext.Current.CancellationToken);
    }
}
