using Slipway.Delivery.Manifests;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Slipway.Delivery.Kubernetes;

// Blue-green: two Deployments <app>-blue and <app>-green; the Service selects one by slipway.dev/color and is switched only
// after the new colour is available. The idle colour is scaled to zero and reused by the next deploy.
public sealed partial class KubernetesDeployer
{
    public const string Blue = "blue";
    public const string Green = "green";

    private async Task<KubernetesDeployResult> DeployBlueGreenAsync(Manifests.EnvironmentManifests manifests, IProgress<RolloutStatus>? progress,
        CancellationToken cancellationToken)
    {
        var environment = Prepare(manifests);
        await EnsureNamespaceAsync(environment, cancellationToken).ConfigureAwait(false);
        var applied = new List<KubernetesObjectReference>();
        await ApplyConfigMapAsync(environment, applied, cancellationToken).ConfigureAwait(false);

        var activeColor = await ReadActiveColorAsync(environment.Namespace, environment.Service.Metadata.Name, cancellationToken).ConfigureAwait(false);
        var active = activeColor is null ? null
            : await ReadDeploymentOrNullAsync(environment.Namespace, $"{environment.App}-{activeColor}", cancellationToken).ConfigureAwait(false);
        // The same revision again (the agent re-applies every sync): reconcile the live colour in place, no switch.
        var newColor = active?.Metadata.Annotations.Get(TemplateHashAnnotation) == environment.TemplateHash
            ? activeColor!
            : activeColor == Blue ? Green : Blue;
        var idleColor = newColor == Blue ? Green : Blue;

        var deployment = await ApplyDeploymentAsync(Colored(environment.Deployment, newColor), applied, cancellationToken).ConfigureAwait(false);
        RolloutStatus rollout;
        try
        {
            rollout = await WaitForRolloutAsync(environment.Namespace, deployment.Metadata.Name, progress: progress, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (KubernetesRolloutException exception)
        {
            throw new KubernetesRolloutException(
                $"{exception.Message}; the Service still selects {(activeColor is null ? "no colour" : $"'{activeColor}'")}, traffic unchanged",
                exception.LastStatus);
        }

        var service = Copy(environment.Service);
        (service.Spec.Selector ??= new Dictionary<string, string>())[SlipwayKubernetesLabels.ColorLabel] = newColor;
        await ApplyServiceAsync(service, applied, cancellationToken).ConfigureAwait(false);
        if (newColor != activeColor) _logger.Information("Service {Namespace}/{Service} switched to {Color}", environment.Namespace, service.Metadata.Name, newColor);

        var idle = await ReadDeploymentOrNullAsync(environment.Namespace, $"{environment.App}-{idleColor}", cancellationToken).ConfigureAwait(false);
        if (idle is not null)
        {
            if (idle.Spec.Replicas != 0) idle = await ScaleOwnedDeploymentAsync(idle, 0, cancellationToken).ConfigureAwait(false);
            applied.Add(Reference(idle, "apps/v1", "Deployment"));
        }
        var pruned = await _inventory.PruneAndRecordAsync(environment.Namespace, environment.Name, applied, cancellationToken).ConfigureAwait(false);
        return new(environment.Name, "blue-green", manifests.Image, applied, pruned, rollout, newColor);
    }

    /// <summary>The colour the environment's Service selects now (null: not blue-green yet, or no Service).</summary>
    public async Task<string?> ReadActiveColorAsync(string @namespace, string serviceName, CancellationToken cancellationToken = default)
    {
        try
        {
            var service = await _client.CoreV1.ReadNamespacedServiceAsync(serviceName, @namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            return service.Spec?.Selector.Get(SlipwayKubernetesLabels.ColorLabel);
        }
        catch (HttpOperationException exception) when (exception.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static V1Deployment Colored(V1Deployment deployment, string color) => WithTrackLabel(deployment, $"{deployment.Metadata.Name}-{color}",
        SlipwayKubernetesLabels.ColorLabel, color);

    /// <summary>A copy named <paramref name="name"/> whose selector and pods carry one more label, so it owns its own pods.</summary>
    private static V1Deployment WithTrackLabel(V1Deployment deployment, string name, string label, string value)
    {
        var copy = Copy(deployment);
        copy.Metadata.Name = name;
        copy.Metadata.Labels[label] = value;
        (copy.Spec.Selector.MatchLabels ??= new Dictionary<string, string>())[label] = value;
        ((copy.Spec.Template.Metadata ??= new V1ObjectMeta()).Labels ??= new Dictionary<string, string>())[label] = value;
        return copy;
    }
}
