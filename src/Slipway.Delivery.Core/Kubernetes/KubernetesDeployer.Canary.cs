using System.Text.Json.Nodes;
using k8s.Models;
using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.Kubernetes;

// Canary: a Deployment <app>-canary with the new template (pods labelled slipway.dev/track: canary) runs beside the stable
// <app>. Traffic is split one of two ways:
// - replica ratio (default): the one Service selects both tracks, so traffic divides by ready pods; each step scales the
//   canary up and the stable down by the same count.
// - HTTPRoute weights (options.Gateway set and the cluster serves gateway.networking.k8s.io): Services <svc>-stable and
//   <svc>-canary select one track each (stable pods carry slipway.dev/track: stable) and the HTTPRoute <svc> weights them;
//   the stable keeps its size.
// Promotion applies the new template to the stable Deployment at full size, sends all traffic to it, and removes the canary.
public sealed partial class KubernetesDeployer
{
    public const string CanarySuffix = "-canary";
    public const string StableSuffix = "-stable";
    public const string GatewayApiGroup = "gateway.networking.k8s.io";
    private const string GatewayApiVersion = "v1";
    private const string HttpRoutes = "httproutes";

    private async Task<KubernetesDeployResult> DeployCanaryAsync(EnvironmentManifests manifests, IProgress<RolloutStatus>? progress, CancellationToken cancellationToken)
    {
        var traffic = await CanaryTrafficAsync(cancellationToken).ConfigureAwait(false);
        var environment = Prepare(manifests);
        if (traffic == CanaryTrafficSplit.HttpRouteWeights)
            environment = environment with { Deployment = WithPodLabel(environment.Deployment, SlipwayKubernetesLabels.TrackLabel, "stable") };
        var canaryName = environment.App + CanarySuffix;
        var stable = await ReadDeploymentOrNullAsync(environment.Namespace, environment.App, cancellationToken).ConfigureAwait(false);
        var routeMore = traffic == CanaryTrafficSplit.HttpRouteWeights
            ? applied => ApplyTrackRoutingAsync(environment, canaryWeight: 0, applied, cancellationToken)
            : (Func<List<KubernetesObjectReference>, Task>?)null;
        if (stable is null || stable.Metadata.Annotations.Get(TemplateHashAnnotation) == environment.TemplateHash || manifests.IsRollback)
        {
            // First deploy (nothing to compare with), this revision already stable, or a rollback (Slipway-Rollback-Of:
            // back to a version that ran, at once, as the Docker backend and Argo Rollouts do): a plain rolling apply.
            _logger.Information("Canary for {Environment}: {Reason}; applying as a rolling update", environment.Name,
                stable is null ? "no stable version yet"
                : manifests.IsRollback && stable.Metadata.Annotations.Get(TemplateHashAnnotation) != environment.TemplateHash ? "a rollback is not canaried"
                : "this revision is already stable");
            await DeleteDeploymentIfPresentAsync(environment.Namespace, canaryName, cancellationToken).ConfigureAwait(false);
            return await RollingAsync(environment, manifests.Image, "canary", routeMore, progress, cancellationToken).ConfigureAwait(false) with { CanaryTraffic = traffic };
        }

        var steps = CanarySteps(manifests);
        await EnsureNamespaceAsync(environment, cancellationToken).ConfigureAwait(false);
        var applied = new List<KubernetesObjectReference>();
        // One ConfigMap serves both tracks: the new settings reach the stable pods too (Beacon re-reads its config directory).
        await ApplyConfigMapAsync(environment, applied, cancellationToken).ConfigureAwait(false);
        var stableReplicas = stable.Spec.Replicas ?? 1;
        foreach (var step in steps)
        {
            CanarySplit split;
            try
            {
                split = await SetCanaryWeightAsync(environment, stable, step.Weight, traffic, progress, cancellationToken).ConfigureAwait(false);
            }
            catch (KubernetesRolloutException exception)
            {
                await AbortCanaryAsync(environment, stableReplicas, traffic, cancellationToken).ConfigureAwait(false);
                throw new KubernetesRolloutException($"{exception.Message}; canary at {step.Weight}% aborted: canary removed, stable restored",
                    exception.LastStatus);
            }
            if (step.PauseSeconds > 0)
                await Task.Delay(TimeSpan.FromSeconds(step.PauseSeconds), _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            if (_options.AnalyseCanaryStep is { } analyse &&
                !await analyse(new CanaryStepContext(environment.Name, step, split, traffic), cancellationToken).ConfigureAwait(false))
            {
                await AbortCanaryAsync(environment, stableReplicas, traffic, cancellationToken).ConfigureAwait(false);
                throw new CanaryAbortedException(
                    $"canary of {environment.Name} at {step.Weight}% failed its analysis; canary removed, stable restored to {stableReplicas} replicas");
            }
        }

        // Promotion: the stable Deployment takes the new template at full size (a rolling update), then the canary goes.
        var deployment = await ApplyDeploymentAsync(environment.Deployment, applied, cancellationToken).ConfigureAwait(false);
        var rollout = await WaitForRolloutAsync(environment.Namespace, deployment.Metadata.Name, progress: progress, cancellationToken: cancellationToken).ConfigureAwait(false);
        await ApplyServiceAsync(environment.Service, applied, cancellationToken).ConfigureAwait(false);
        if (routeMore is not null) await routeMore(applied).ConfigureAwait(false);
        await DeleteDeploymentIfPresentAsync(environment.Namespace, canaryName, cancellationToken).ConfigureAwait(false);
        var pruned = await _inventory.PruneAndRecordAsync(environment.Namespace, environment.Name, applied, cancellationToken).ConfigureAwait(false);
        return new(environment.Name, "canary", manifests.Image, applied, pruned, rollout, CanaryTraffic: traffic);
    }

    /// <summary>
    /// Sends <paramref name="weight"/> percent of the environment's traffic to the new revision: applies &lt;app&gt;-canary at
    /// its share of the replicas and waits until it is available; then, by replica ratio, scales the stable down by as many,
    /// or, with a Gateway, sets the HTTPRoute weights. Needs a live stable Deployment.
    /// </summary>
    public async Task<CanarySplit> SetCanaryWeightAsync(EnvironmentManifests manifests, int weight, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifests);
        var traffic = await CanaryTrafficAsync(cancellationToken).ConfigureAwait(false);
        var environment = Prepare(manifests);
        var stable = await ReadDeploymentOrNullAsync(environment.Namespace, environment.App, cancellationToken).ConfigureAwait(false)
                     ?? throw new InvalidOperationException(
                         $"Deployment {environment.Namespace}/{environment.App} does not exist: a canary needs a stable version; deploy it first");
        return await SetCanaryWeightAsync(environment, stable, weight, traffic, progress: null, cancellationToken).ConfigureAwait(false);
    }

    private async Task<CanarySplit> SetCanaryWeightAsync(PreparedEnvironment environment, V1Deployment stable, int weight, CanaryTrafficSplit traffic,
        IProgress<RolloutStatus>? progress, CancellationToken cancellationToken)
    {
        var split = CanarySplit.For(environment.Replicas, weight);
        var canary = WithTrackLabel(environment.Deployment, environment.App + CanarySuffix, SlipwayKubernetesLabels.TrackLabel, "canary");
        canary.Spec.Replicas = split.CanaryReplicas;
        var applied = await _apply.DeploymentAsync(canary, cancellationToken).ConfigureAwait(false);
        _logger.Information("Canary {Environment} at {Weight}% by {Traffic}: {Canary} canary replicas", environment.Name, weight, traffic, split.CanaryReplicas);
        await WaitForRolloutAsync(environment.Namespace, applied.Metadata.Name, progress: progress, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (traffic == CanaryTrafficSplit.HttpRouteWeights)
        {
            // Weighted routing: the stable keeps its size; only the route's weights move.
            await ApplyTrackRoutingAsync(environment, weight, [], cancellationToken).ConfigureAwait(false);
            return split with { StableReplicas = stable.Spec.Replicas ?? environment.Replicas };
        }
        // Scale the stable down only once the canary pods serve, so capacity never drops below the total.
        var live = await ReadDeploymentOrNullAsync(environment.Namespace, stable.Metadata.Name, cancellationToken).ConfigureAwait(false) ?? stable;
        if (live.Spec.Replicas != split.StableReplicas) await ScaleOwnedDeploymentAsync(live, split.StableReplicas, cancellationToken).ConfigureAwait(false);
        return split;
    }

    private async Task AbortCanaryAsync(PreparedEnvironment environment, int stableReplicas, CanaryTrafficSplit traffic, CancellationToken cancellationToken)
    {
        if (traffic == CanaryTrafficSplit.HttpRouteWeights)
            await ApplyTrackRoutingAsync(environment, canaryWeight: 0, [], cancellationToken).ConfigureAwait(false);
        var live = await ReadDeploymentOrNullAsync(environment.Namespace, environment.App, cancellationToken).ConfigureAwait(false);
        if (live is not null && live.Spec.Replicas != stableReplicas)
            await ScaleOwnedDeploymentAsync(live, stableReplicas, cancellationToken).ConfigureAwait(false);
        await DeleteDeploymentIfPresentAsync(environment.Namespace, environment.App + CanarySuffix, cancellationToken).ConfigureAwait(false);
    }

    private async Task<CanaryTrafficSplit> CanaryTrafficAsync(CancellationToken cancellationToken)
    {
        if (_options.Gateway is null) return CanaryTrafficSplit.ReplicaRatio;
        if (await ServesApiGroupAsync(GatewayApiGroup, cancellationToken).ConfigureAwait(false)) return CanaryTrafficSplit.HttpRouteWeights;
        _logger.Warning("A Gateway ({Gateway}) is configured but the cluster does not serve {Group}; the canary splits traffic by replica ratio",
            _options.Gateway.Name, GatewayApiGroup);
        return CanaryTrafficSplit.ReplicaRatio;
    }

    /// <summary>Applies &lt;svc&gt;-stable, &lt;svc&gt;-canary (one track each) and the HTTPRoute &lt;svc&gt; weighting them.</summary>
    private async Task ApplyTrackRoutingAsync(PreparedEnvironment environment, int canaryWeight, List<KubernetesObjectReference> applied,
        CancellationToken cancellationToken)
    {
        var serviceName = environment.Service.Metadata.Name;
        foreach (var track in new[] { "stable", "canary" })
        {
            var service = Copy(environment.Service);
            service.Metadata.Name = $"{serviceName}-{track}";
            service.Metadata.Annotations?.Remove(SlipwayMetadata.HostPortAnnotation); // the environment's port belongs to the main Service
            (service.Spec.Selector ??= new Dictionary<string, string>())[SlipwayKubernetesLabels.TrackLabel] = track;
            await ApplyServiceAsync(service, applied, cancellationToken).ConfigureAwait(false);
        }
        var port = environment.Service.Spec.Ports?.FirstOrDefault()?.Port
                   ?? throw new InvalidOperationException($"Service {environment.Namespace}/{serviceName} has no port for the HTTPRoute's backendRefs");
        var gateway = _options.Gateway!;
        var parent = new JsonObject { ["group"] = GatewayApiGroup, ["kind"] = "Gateway", ["name"] = gateway.Name };
        if (gateway.Namespace is not null) parent["namespace"] = gateway.Namespace;
        if (gateway.SectionName is not null) parent["sectionName"] = gateway.SectionName;
        var labels = new JsonObject();
        foreach (var (key, value) in OwnedLabels(environment.Name)) labels[key] = value;
        var route = new JsonObject
        {
            ["apiVersion"] = $"{GatewayApiGroup}/{GatewayApiVersion}",
            ["kind"] = "HTTPRoute",
            ["metadata"] = new JsonObject { ["name"] = serviceName, ["namespace"] = environment.Namespace, ["labels"] = labels },
            ["spec"] = new JsonObject
            {
                ["parentRefs"] = new JsonArray(parent),
                ["rules"] = new JsonArray(new JsonObject
                {
                    ["backendRefs"] = new JsonArray(
                        new JsonObject { ["name"] = $"{serviceName}{StableSuffix}", ["port"] = port, ["weight"] = 100 - canaryWeight },
                        new JsonObject { ["name"] = $"{serviceName}{CanarySuffix}", ["port"] = port, ["weight"] = canaryWeight }),
                }),
            },
        };
        await _apply.CustomObjectAsync(GatewayApiGroup, GatewayApiVersion, HttpRoutes, environment.Namespace, serviceName, "HTTPRoute", route, cancellationToken)
            .ConfigureAwait(false);
        applied.Add(new KubernetesObjectReference($"{GatewayApiGroup}/{GatewayApiVersion}", "HTTPRoute", environment.Namespace, serviceName));
        _logger.Information("HTTPRoute {Namespace}/{Route}: stable {Stable}%, canary {Canary}%", environment.Namespace, serviceName, 100 - canaryWeight, canaryWeight);
    }

    /// <summary>A copy whose pods carry one more label; selector and name unchanged (a Deployment's selector is immutable).</summary>
    private static V1Deployment WithPodLabel(V1Deployment deployment, string label, string value)
    {
        var copy = Copy(deployment);
        ((copy.Spec.Template.Metadata ??= new V1ObjectMeta()).Labels ??= new Dictionary<string, string>())[label] = value;
        return copy;
    }

    private static IReadOnlyList<CanaryStep> CanarySteps(EnvironmentManifests manifests)
    {
        var text = manifests.Deployment.Metadata?.Annotations.Get(SlipwayMetadata.CanaryStepsAnnotation);
        if (text is null) return [new CanaryStep(50, 0)];
        return CanaryStep.TryParseAll(text, out var steps, out var problem)
            ? steps
            : throw new ArgumentException($"{SlipwayMetadata.EnvironmentFolder(manifests.Environment)}/{SlipwayMetadata.DeploymentFile}: " +
                                          $"annotation {SlipwayMetadata.CanaryStepsAnnotation}: {problem}", nameof(manifests));
    }
}
