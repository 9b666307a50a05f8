using System.Net;
using k8s;
using k8s.Autorest;
using Slipway.Delivery.Kubernetes;
using Slipway.Delivery.Tests.ConfigRepo;
using Slipway.Testing.Kubernetes;

namespace Slipway.Delivery.Tests.Kubernetes;

/// <summary>Blue-green and canary against the Kubernetes API SIMULATION.</summary>
public sealed class ProgressiveDeliveryTests
{
    private static readonly KubernetesDeployerOptions Options = new() { RolloutTimeout = TimeSpan.FromMinutes(1) };
    private readonly CollectingSink _log = new();
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Blue_green_switches_the_Service_selector_only_after_the_new_colour_is_available()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var simulation = target.RequireSimulation();
        var deployer = new KubernetesDeployer(target.Client, _log.Logger(), Options);
        var env = target.Environment;
        // Before: a rolling deploy, whose plain Deployment blue-green replaces (and prunes).
        await deployer.DeployAsync(TestManifests.For(env, TestManifests.Image('0')), Cancel);

        var first = await deployer.DeployAsync(TestManifests.For(env, TestManifests.Image('a'), "blue-green"), Cancel);
        Assert.Equal("blue", first.ActiveColor);
        Assert.Equal("blue", await Selector(target));
        Assert.Contains(new KubernetesObjectReference("apps/v1", "Deployment", env, "beacon"), first.Pruned);

        simulation.Controller.SetBehaviour(env, "beacon-green", SimulatedRollout.Manual);
        var second = deployer.DeployAsync(TestManifests.For(env, TestManifests.Image('b'), "blue-green"), Cancel);
        await KubernetesDeployerTests.WaitUntil(() => simulation.ActiveWatches > 0 && simulation.Find("Deployment", env, "beacon-green") is not null);
        Assert.Equal("blue", await Selector(target)); // green is not available yet: traffic stays on blue
        simulation.Controller.CompleteRollout(env, "beacon-green");
        var switched = await second;

        Assert.Equal("green", switched.ActiveColor);
        Assert.Equal("green", await Selector(target));
        var green = await target.Client.AppsV1.ReadNamespacedDeploymentAsync("beacon-green", env, cancellationToken: Cancel);
        var blue = await target.Client.AppsV1.ReadNamespacedDeploymentAsync("beacon-blue", env, cancellationToken: Cancel);
        Assert.Equal(TestManifests.Image('b'), green.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal("green", green.Spec.Selector.MatchLabels["slipway.dev/color"]);
        Assert.Equal("green", green.Spec.Template.Metadata.Labels["slipway.dev/color"]);
        Assert.Equal(0, blue.Spec.Replicas);

        // The same revision again (the agent re-applies on every sync) does not flip colours.
        var again = await deployer.DeployAsync(TestManifests.For(env, TestManifests.Image('b'), "blue-green"), Cancel);
        Assert.Equal("green", again.ActiveColor);
        Assert.Equal("green", await Selector(target));
    }

    [Fact]
    public async Task Blue_green_keeps_traffic_on_the_live_colour_when_the_new_one_stalls()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var simulation = target.RequireSimulation();
        var deployer = new KubernetesDeployer(target.Client, _log.Logger(), Options);
        await deployer.DeployAsync(TestManifests.For(target.Environment, TestManifests.Image('a'), "blue-green"), Cancel);
        simulation.Controller.SetBehaviour(target.Environment, "beacon-green", SimulatedRollout.Stall);

        var failure = await Assert.ThrowsAsync<KubernetesRolloutException>(() =>
            deployer.DeployAsync(TestManifests.For(target.Environment, TestManifests.Image('b'), "blue-green"), Cancel));

        Assert.Contains("ProgressDeadlineExceeded", failure.Message);
        Assert.Contains("the Service still selects 'blue', traffic unchanged", failure.Message);
        Assert.Equal("blue", await Selector(target));
    }

    [Fact]
    public async Task A_canary_splits_replicas_by_weight_step_by_step_then_promotes()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var env = target.Environment;
        var observed = new List<(int Weight, int? Stable, string Canary, int? CanaryReplicas, CanarySplit Split)>();
        var options = Options with
        {
            AnalyseCanaryStep = async (step, cancellationToken) =>
            {
                var stable = await target.Client.AppsV1.ReadNamespacedDeploymentAsync("beacon", env, cancellationToken: cancellationToken);
                var canary = await target.Client.AppsV1.ReadNamespacedDeploymentAsync("beacon-canary", env, cancellationToken: cancellationToken);
                Assert.Equal(TestManifests.Image('a'), stable.Spec.Template.Spec.Containers[0].Image);
                observed.Add((step.Step.Weight, stable.Spec.Replicas, canary.Spec.Template.Spec.Containers[0].Image, canary.Spec.Replicas, step.Split));
                return true;
            },
        };
        var deployer = new KubernetesDeployer(target.Client, _log.Logger(), options);
        await deployer.DeployAsync(TestManifests.For(env, TestManifests.Image('a'), "canary", replicas: 4, canarySteps: "25:0,50:0"), Cancel);
        Assert.Empty(observed); // the first version has nothing to be a canary against

        var result = await deployer.DeployAsync(TestManifests.For(env, TestManifests.Image('b'), "canary", replicas: 4, canarySteps: "25:0,50:0"), Cancel);

        Assert.Equal(
        [
            (25, 3, TestManifests.Image('b'), 1, new CanarySplit(25, 3, 1)),
            (50, 2, TestManifests.Image('b'), 2, new CanarySplit(50, 2, 2)),
        ], observed);
        Assert.Equal(RolloutState.Complete, result.Rollout.State);
        var stable = await target.Client.AppsV1.ReadNamespacedDeploymentAsync("beacon", env, cancellationToken: Cancel);
        Assert.Equal(TestManifests.Image('b'), stable.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal(4, stable.Spec.Replicas);
        await AssertMissing(() => target.Client.AppsV1.ReadNamespacedDeploymentAsync("beacon-canary", env, cancellationToken: Cancel));
        // The canary pods carry their track; the one Service selects both tracks, so traffic follows the pod ratio.
        var service = await target.Client.CoreV1.ReadNamespacedServiceAsync("beacon", env, cancellationToken: Cancel);
        Assert.DoesNotContain("slipway.dev/track", service.Spec.Selector.Keys);
    }

    [Fact]
    public async Task A_canary_that_fails_its_analysis_is_removed_and_the_stable_restored()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var env = target.Environment;
        var options = Options with { AnalyseCanaryStep = (_, _) => Task.FromResult(false) };
        var deployer = new KubernetesDeployer(target.Client, _log.Logger(), options);
        await deployer.DeployAsync(TestManifests.For(env, TestManifests.Image('a'), "canary", replicas: 4, canarySteps: "25:0"), Cancel);

        var failure = await Assert.ThrowsAsync<CanaryAbortedException>(() =>
            deployer.DeployAsync(TestManifests.For(env, TestManifests.Image('b'), "canary", replicas: 4, canarySteps: "25:0"), Cancel));

        Assert.Contains("at 25% failed its analysis", failure.Message);
        var stable = await target.Client.AppsV1.ReadNamespacedDeploymentAsync("beacon", env, cancellationToken: Cancel);
        Assert.Equal(TestManifests.Image('a'), stable.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal(4, stable.Spec.Replicas);
        await AssertMissing(() => target.Client.AppsV1.ReadNamespacedDeploymentAsync("beacon-canary", env, cancellationToken: Cancel));
    }

    [Fact]
    public async Task A_rollback_commit_is_applied_at_once_without_canary_steps()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var env = target.Environment;
        var analysed = 0;
        var options = Options with { AnalyseCanaryStep = (_, _) => { analysed++; return Task.FromResult(true); } };
        var deployer = new KubernetesDeployer(target.Client, _log.Logger(), options);
        await deployer.DeployAsync(TestManifests.For(env, TestManifests.Image('a'), "canary", replicas: 4, canarySteps: "25:0,50:0"), Cancel);
        await deployer.DeployAsync(TestManifests.For(env, TestManifests.Image('b'), "canary", replicas: 4, canarySteps: "25:0,50:0"), Cancel);
        Assert.Equal(2, analysed);

        var rollback = TestManifests.For(env, TestManifests.Image('a'), "canary", replicas: 4, canarySteps: "25:0,50:0") with { IsRollback = true };
        var result = await deployer.DeployAsync(rollback, Cancel);

        Assert.Equal(2, analysed);   // no step of the rollback was analysed: there were none
        Assert.Equal(RolloutState.Complete, result.Rollout.State);
        var stable = await target.Client.AppsV1.ReadNamespacedDeploymentAsync("beacon", env, cancellationToken: Cancel);
        Assert.Equal(TestManifests.Image('a'), stable.Spec.Template.Spec.Containers[0].Image);
        Assert.Equal(4, stable.Spec.Replicas);
        await AssertMissing(() => target.Client.AppsV1.ReadNamespacedDeploymentAsync("beacon-canary", env, cancellationToken: Cancel));
        Assert.Contains("a rollback is not canaried", _log.Text);
    }

    [Fact]
    public async Task With_a_Gateway_the_canary_is_split_by_HTTPRoute_weights_where_the_cluster_serves_the_Gateway_API()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        var simulation = target.RequireSimulation();
        simulation.ServesGatewayApi = true;
        var env = target.Environment;
        var observed = new List<(int Weight, CanaryTrafficSplit Traffic, (long Stable, long Canary) Route, int? StableReplicas, int? CanaryReplicas)>();
        var options = Options with
        {
            Gateway = new GatewayParentReference("public", "gateway-system"),
            AnalyseCanaryStep = async (step, cancellationToken) =>
            {
                var stable = await target.Client.AppsV1.ReadNamespacedDeploymentAsync("beacon", env, cancellationToken: cancellationToken);
                var canary = await target.Client.AppsV1.ReadNamespacedDeploymentAsync("beacon-canary", env, cancellationToken: cancellationToken);
                observed.Add((step.Step.Weight, step.Traffic, RouteWeights(simulation, env), stable.Spec.Replicas, canary.Spec.Replicas));
                return true;
            },
        };
        var deployer = new KubernetesDeployer(target.Client, _log.Logger(), options);

        var first = await deployer.DeployAsync(TestManifests.For(env, TestManifests.Image('a'), "canary", replicas: 4, canarySteps: "10:0,50:0"), Cancel);
        Assert.Equal(CanaryTrafficSplit.HttpRouteWeights, first.CanaryTraffic);
        Assert.Equal((100, 0), RouteWeights(simulation, env));
        var stableService = await target.Client.CoreV1.ReadNamespacedServiceAsync("beacon-stable", env, cancellationToken: Cancel);
        Assert.Equal("stable", stableService.Spec.Selector["slipway.dev/track"]);
        var stablePods = await target.Client.AppsV1.ReadNamespacedDeploymentAsync("beacon", env, cancellationToken: Cancel);
        Assert.Equal("stable", stablePods.Spec.Template.Metadata.Labels["slipway.dev/track"]);
        var parent = simulation.Find("HTTPRoute", env, "beacon")!["spec"]!["parentRefs"]![0]!;
        Assert.Equal(("public", "gateway-system"), (parent["name"]!.GetValue<string>(), parent["namespace"]!.GetValue<string>()));

        var promoted = await deployer.DeployAsync(TestManifests.For(env, TestManifests.Image('b'), "canary", replicas: 4, canarySteps: "10:0,50:0"), Cancel);

        Assert.Equal(
        [
            (10, CanaryTrafficSplit.HttpRouteWeights, (90L, 10L), 4, 1), // the stable keeps its size; the route moves the traffic
            (50, CanaryTrafficSplit.HttpRouteWeights, (50L, 50L), 4, 2),
        ], observed);
        Assert.Equal((100, 0), RouteWeights(simulation, env));
        var stable = await target.Client.AppsV1.ReadNamespacedDeploymentAsync("beacon", env, cancellationToken: Cancel);
        Assert.Equal(TestManifests.Image('b'), stable.Spec.Template.Spec.Containers[0].Image);
        await AssertMissing(() => target.Client.AppsV1.ReadNamespacedDeploymentAsync("beacon-canary", env, cancellationToken: Cancel));
        Assert.Contains(new KubernetesObjectReference("gateway.networking.k8s.io/v1", "HTTPRoute", env, "beacon"), promoted.Applied);

        // Back to a rolling strategy: the route and the track Services are no longer in Git's shape, so they are pruned.
        var rolling = await new KubernetesDeployer(target.Client, _log.Logger(), Options)
            .DeployAsync(TestManifests.For(env, TestManifests.Image('b'), replicas: 4), Cancel);
        Assert.Contains(new KubernetesObjectReference("gateway.networking.k8s.io/v1", "HTTPRoute", env, "beacon"), rolling.Pruned);
        Assert.Contains(new KubernetesObjectReference("v1", "Service", env, "beacon-stable"), rolling.Pruned);
        Assert.Null(simulation.Find("HTTPRoute", env, "beacon"));
    }

    [Fact]
    public async Task A_Gateway_on_a_cluster_without_the_Gateway_API_falls_back_to_the_replica_ratio()
    {
        await using var target = await KubernetesTestTarget.CreateAsync();
        target.RequireSimulation();
        var deployer = new KubernetesDeployer(target.Client, _log.Logger(), Options with { Gateway = new GatewayParentReference("public") });

        var result = await deployer.DeployAsync(TestManifests.For(target.Environment, TestManifests.Image('a'), "canary"), Cancel);

        Assert.Equal(CanaryTrafficSplit.ReplicaRatio, result.CanaryTraffic);
        Assert.Matches("does not serve \"?gateway.networking.k8s.io", _log.Text);
    }

    private static (long Stable, long Canary) RouteWeights(KubernetesApiSimulation simulation, string environment)
    {
        var backends = simulation.Find("HTTPRoute", environment, "beacon")!["spec"]!["rules"]![0]!["backendRefs"]!.AsArray();
        long Weight(string name) => SimulatedJson.Number(backends.Single(item => item!["name"]!.GetValue<string>() == name)!["weight"])!.Value;
        return (Weight("beacon-stable"), Weight("beacon-canary"));
    }

    [Theory]
    [InlineData(4, 25, 3, 1)]
    [InlineData(3, 10, 2, 1)]   // any weight above 0 gets at least one canary pod
    [InlineData(3, 50, 1, 2)]
    [InlineData(3, 99, 1, 2)]   // below 100 at least one stable pod stays
    [InlineData(10, 0, 10, 0)]
    [InlineData(10, 100, 0, 10)]
    public void A_canary_weight_becomes_a_replica_split(int total, int weight, int stable, int canary) =>
        Assert.Equal(new CanarySplit(weight, stable, canary), CanarySplit.For(total, weight));

    private static async Task<string?> Selector(KubernetesTestTarget target)
    {
        var service = await target.Client.CoreV1.ReadNamespacedServiceAsync("beacon", target.Environment, cancellationToken: Cancel);
        return service.Spec.Selector.TryGetValue("slipway.dev/color", out var color) ? color : null;
    }

    private static async Task AssertMissing(Func<Task> read)
    {
        var exception = await Assert.ThrowsAsync<HttpOperationException>(read);
        Assert.Equal(HttpStatusCode.NotFound, exception.Response.StatusCode);
    }
}
