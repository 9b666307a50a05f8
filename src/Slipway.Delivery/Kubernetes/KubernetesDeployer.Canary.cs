using k8s.Models;
using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.Kubernetes;

// Canary by replica ratio: a Deployment <app>-canary with the new template runs beside the stable <app>; the one Service
// selects both, so traffic divides in proportion to ready pods. Each step scales the canary up and the stable down by the
// same count; promotion applies the new template to the stable Deployment at full size and removes the canary.
// (Gateway API HTTPRoute weights are not implemented: ServesApiGroupAsync detects the API, the split stays by replicas.)
public sealed partial class KubernetesDeployer
{
    public const string CanarySuffix = "-canary";
    public const string GatewayApiGroup = "gateway.networking.k8s.io";

    private async Task<KubernetesDeployResult> DeployCanaryAsync(EnvironmentManifests manifests, CancellationToken cancellationToken)
    {
        var environment = Prepare(manifests);
        var canaryName = environment.App + CanarySuffix;
        var stable = await ReadDeploymentOrNullAsync(environment.Namespace, environment.App, cancellationToken).ConfigureAwait(false);
        if (stable is null || stable.Metadata.Annotations.Get(TemplateHashAnnotation) == environment.TemplateHash)
        {
            // First deploy (nothing to compare with) or this revision is already stable: a plain rolling apply.
            _logger.Information("Canary for {Environment}: {Reason}; applying as a rolling update", environment.Name,
                stable is null ? "no stable version yet" : "this revision is already stable");
            await DeleteDeploymentIfPresentAsync(environment.Namespace, canaryName, cancellationToken).ConfigureAwait(false);
            return await DeployRollingAsync(manifests, cancellationToken).ConfigureAwait(false) with { Strategy = "canary" };
        }
        if (await ServesApiGroupAsync(GatewayApiGroup, cancellationToken).ConfigureAwait(false))
            _logger.Information("The cluster serves {Group}; Slipway splits canary traffic by replica ratio (HTTPRoute weights not implemented)", GatewayApiGroup);

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
                split = await SetCanaryWeightAsync(environment, stable, step.Weight, cancellationToken).ConfigureAwait(false);
            }
            catch (KubernetesRolloutException exception)
            {
                await AbortCanaryAsync(environment, stableReplicas, cancellationToken).ConfigureAwait(false);
                throw new KubernetesRolloutException($"{exception.Message}; canary at {step.Weight}% aborted: canary removed, stable restored",
                    exception.LastStatus);
            }
            if (step.PauseSeconds > 0)
                await Task.Delay(TimeSpan.FromSeconds(step.PauseSeconds), _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            if (_options.AnalyseCanaryStep is { } analyse &&
                !await analyse(new CanaryStepContext(environment.Name, step, split), cancellationToken).ConfigureAwait(false))
            {
                await AbortCanaryAsync(environment, stableReplicas, cancellationToken).ConfigureAwait(false);
                throw new CanaryAbortedException(
                    $"canary of {environment.Name} at {step.Weight}% failed its analysis; canary removed, stable restored to {stableReplicas} replicas");
            }
        }

        // Promotion: the stable Deployment takes the new template at full size (a rolling update), then the canary goes.
        var deployment = await ApplyDeploymentAsync(environment.Deployment, applied, cancellationToken).ConfigureAwait(false);
        var rollout = await WaitForRolloutAsync(environment.Namespace, deployment.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        await DeleteDeploymentIfPresentAsync(environment.Namespace, canaryName, cancellationToken).ConfigureAwait(false);
        await ApplyServiceAsync(environment.Service, applied, cancellationToken).ConfigureAwait(false);
        var pruned = await _inventory.PruneAndRecordAsync(environment.Namespace, environment.Name, applied, cancellationToken).ConfigureAwait(false);
        return new(environment.Name, "canary", manifests.Image, applied, pruned, rollout);
    }

    /// <summary>
    /// Sends <paramref name="weight"/> percent of the environment's replicas to the new revision: applies &lt;app&gt;-canary at
    /// its share, waits until it is available, then scales the stable Deployment down by as many. Needs a live stable Deployment.
    /// </summary>
    public async Task<CanarySplit> SetCanaryWeightAsync(EnvironmentManifests manifests, int weight, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifests);
        var environment = Prepare(manifests);
        var stable = await ReadDeploymentOrNullAsync(environment.Namespace, environment.App, cancellationToken).ConfigureAwait(false)
                     ?? throw new InvalidOperationException(
                         $"Deployment {environment.Namespace}/{environment.App} does not exist: a canary needs a stable version; deploy it first");
        return await SetCanaryWeightAsync(environment, stable, weight, cancellationToken).ConfigureAwait(false);
    }

    private async Task<CanarySplit> SetCanaryWeightAsync(PreparedEnvironment environment, V1Deployment stable, int weight, CancellationToken cancellationToken)
    {
        var split = CanarySplit.For(environment.Replicas, weight);
        var canary = WithTrackLabel(environment.Deployment, environment.App + CanarySuffix, SlipwayKubernetesLabels.TrackLabel, "canary");
        canary.Spec.Replicas = split.CanaryReplicas;
        var applied = await _apply.DeploymentAsync(canary, cancellationToken).ConfigureAwait(false);
        _logger.Information("Canary {Environment} at {Weight}%: {Canary} canary, {Stable} stable replicas", environment.Name, weight,
            split.CanaryReplicas, split.StableReplicas);
        await WaitForRolloutAsync(environment.Namespace, applied.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        // Scale the stable down only once the canary pods serve, so capacity never drops below the total.
        var live = await ReadDeploymentOrNullAsync(environment.Namespace, stable.Metadata.Name, cancellationToken).ConfigureAwait(false) ?? stable;
        if (live.Spec.Replicas != split.StableReplicas) await ScaleOwnedDeploymentAsync(live, split.StableReplicas, cancellationToken).ConfigureAwait(false);
        return split;
    }

    private async Task AbortCanaryAsync(PreparedEnvironment environment, int stableReplicas, CancellationToken cancellationToken)
    {
        var live = await ReadDeploymentOrNullAsync(environment.Namespace, environment.App, cancellationToken).ConfigureAwait(false);
        if (live is not null && live.Spec.Replicas != stableReplicas)
            await ScaleOwnedDeploymentAsync(live, stableReplicas, cancellationToken).ConfigureAwait(false);
        await DeleteDeploymentIfPresentAsync(environment.Namespace, environment.App + CanarySuffix, cancellationToken).ConfigureAwait(false);
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
