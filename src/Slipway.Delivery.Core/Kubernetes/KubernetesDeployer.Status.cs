using System.Globalization;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.Kubernetes;

/// <summary>How an environment runs now, read from what Slipway's inventory lists (for the agent's status API).</summary>
/// <param name="Image">The image of the serving Deployment (the active colour, or the stable track).</param>
/// <param name="ConfigHash">The slipway.dev/config-hash of the environment's ConfigMap.</param>
/// <param name="HostPort">The Service's slipway.dev/host-port.</param>
/// <param name="Converged">Every serving Deployment has completed its rollout.</param>
/// <param name="Problem">Why not converged (a stalled rollout's condition message, or what is still progressing).</param>
public sealed record KubernetesEnvironmentStatus(
    string Environment,
    int ReplicasReady,
    int ReplicasDesired,
    string? Image,
    string? ConfigHash,
    int? HostPort,
    bool Converged,
    string? Problem,
    IReadOnlyList<RolloutStatus> Rollouts);

public sealed partial class KubernetesDeployer
{
    /// <summary>Reads the environment without changing it: the Deployments Slipway applied that serve (replicas above 0).</summary>
    public async Task<KubernetesEnvironmentStatus> GetEnvironmentStatusAsync(string environment, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(environment);
        var inventory = await _inventory.ReadAsync(environment, cancellationToken).ConfigureAwait(false);
        if (inventory.Count == 0)
            return new(environment, 0, 0, null, null, null, Converged: false,
                $"nothing deployed by Slipway in namespace {environment} (no {SlipwayKubernetesLabels.InventoryConfigMapName})", []);

        var serving = new List<V1Deployment>();
        string? configHash = null;
        int? hostPort = null;
        foreach (var item in inventory)
        {
            try
            {
                switch (item.Kind)
                {
                    case "Deployment":
                        var deployment = await _client.AppsV1.ReadNamespacedDeploymentAsync(item.Name, item.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
                        if ((deployment.Spec?.Replicas ?? 1) > 0) serving.Add(deployment);
                        break;
                    case "ConfigMap":
                        var configMap = await _client.CoreV1.ReadNamespacedConfigMapAsync(item.Name, item.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
                        configHash ??= configMap.Metadata.Annotations.Get(SlipwayMetadata.ConfigHashAnnotation);
                        break;
                    case "Service":
                        var service = await _client.CoreV1.ReadNamespacedServiceAsync(item.Name, item.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
                        if (service.Metadata.Annotations.Get(SlipwayMetadata.HostPortAnnotation) is { } port &&
                            int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
                            hostPort ??= parsed;
                        break;
                }
            }
            catch (HttpOperationException exception) when (exception.Response.StatusCode == HttpStatusCode.NotFound)
            {
                // Listed but gone (deleted by hand): the next deploy re-applies it.
            }
            catch (HttpOperationException exception)
            {
                throw KubernetesStatus.Failure(item.ToString(), "read", exception);
            }
        }

        var rollouts = serving.Select(RolloutStatus.Of).ToList();
        var main = serving.FirstOrDefault(deployment => !deployment.Metadata.Name.EndsWith(CanarySuffix, StringComparison.Ordinal)) ?? serving.FirstOrDefault();
        var problem = rollouts.FirstOrDefault(rollout => rollout.State == RolloutState.Failed)?.Message
                      ?? rollouts.FirstOrDefault(rollout => rollout.State == RolloutState.Progressing)?.Message
                      ?? (serving.Count == 0 ? $"no Deployment of {environment} has replicas" : null);
        return new(environment,
            rollouts.Sum(rollout => rollout.AvailableReplicas),
            rollouts.Sum(rollout => rollout.DesiredReplicas),
            main?.Spec?.Template?.Spec?.Containers?.FirstOrDefault()?.Image,
            configHash,
            hostPort,
            Converged: problem is null,
            problem,
            rollouts);
    }

    /// <summary>Deletes everything Slipway applied in the environment (Git no longer has it), and its inventory. The namespace stays.</summary>
    public async Task<IReadOnlyList<KubernetesObjectReference>> RemoveEnvironmentAsync(string environment, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(environment);
        if ((await _inventory.ReadAsync(environment, cancellationToken).ConfigureAwait(false)).Count == 0) return []; // nothing of ours there
        var removed = await _inventory.PruneAndRecordAsync(environment, environment, [], cancellationToken).ConfigureAwait(false);
        try
        {
            await _client.CoreV1.DeleteNamespacedConfigMapAsync(SlipwayKubernetesLabels.InventoryConfigMapName, environment, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
        catch (HttpOperationException exception) when (exception.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
        _logger.Information("Removed environment {Environment}: {Count} objects deleted", environment, removed.Count);
        return removed;
    }
}
