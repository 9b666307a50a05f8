using Slipway.Delivery.Manifests;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Serilog;

namespace Slipway.Delivery.Kubernetes;

/// <summary>
/// What Slipway applied in an environment namespace, kept in the ConfigMap slipway-inventory. Prune deletes an object only
/// when the previous inventory lists it, Git no longer has it, and the live object still carries Slipway's ownership labels
/// (an object someone relabelled has been taken over and is left alone).
/// </summary>
internal sealed class KubernetesInventory(IKubernetes client, ServerSideApply apply, ILogger logger)
{
    public async Task<IReadOnlyList<KubernetesObjectReference>> ReadAsync(string @namespace, CancellationToken cancellationToken)
    {
        try
        {
            var configMap = await client.CoreV1.ReadNamespacedConfigMapAsync(SlipwayKubernetesLabels.InventoryConfigMapName, @namespace,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            var text = configMap.Data.Get(SlipwayKubernetesLabels.InventoryDataKey) ?? "";
            return text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => KubernetesObjectReference.ParseInventoryLine(@namespace, line))
                .OfType<KubernetesObjectReference>()
                .ToList();
        }
        catch (HttpOperationException exception) when (exception.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }
    }

    /// <summary>Deletes what the previous inventory holds and <paramref name="current"/> does not, then records <paramref name="current"/>.</summary>
    public async Task<IReadOnlyList<KubernetesObjectReference>> PruneAndRecordAsync(string @namespace, string environment,
        IReadOnlyCollection<KubernetesObjectReference> current, CancellationToken cancellationToken)
    {
        var previous = await ReadAsync(@namespace, cancellationToken).ConfigureAwait(false);
        var pruned = new List<KubernetesObjectReference>();
        foreach (var stale in previous.Where(item => !current.Contains(item)))
        {
            if (await DeleteIfOwnedAsync(stale, environment, cancellationToken).ConfigureAwait(false)) pruned.Add(stale);
        }

        // Recorded after pruning: if a delete fails, the old inventory still lists the object and the next deploy retries.
        var inventory = new V1ConfigMap
        {
            ApiVersion = "v1",
            Kind = "ConfigMap",
            Metadata = new V1ObjectMeta
            {
                Name = SlipwayKubernetesLabels.InventoryConfigMapName,
                NamespaceProperty = @namespace,
                Labels = new Dictionary<string, string>
                {
                    [SlipwayKubernetesLabels.ManagedByLabel] = SlipwayKubernetesLabels.ManagedByValue,
                    [SlipwayKubernetesLabels.EnvironmentLabel] = environment,
                },
            },
            Data = new Dictionary<string, string>
            {
                [SlipwayKubernetesLabels.InventoryDataKey] =
                    string.Join("\n", current.Select(item => item.InventoryLine).Order(StringComparer.Ordinal)) + "\n",
            },
        };
        await apply.ConfigMapAsync(inventory, cancellationToken).ConfigureAwait(false);
        return pruned;
    }

    private static string GatewayVersion(KubernetesObjectReference item) => item.ApiVersion[(item.ApiVersion.IndexOf('/', StringComparison.Ordinal) + 1)..];

    private async Task<bool> DeleteIfOwnedAsync(KubernetesObjectReference item, string environment, CancellationToken cancellationToken)
    {
        try
        {
            var metadata = item.Kind switch
            {
                "Deployment" => (await client.AppsV1.ReadNamespacedDeploymentAsync(item.Name, item.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false)).Metadata,
                "Service" => (await client.CoreV1.ReadNamespacedServiceAsync(item.Name, item.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false)).Metadata,
                "ConfigMap" => (await client.CoreV1.ReadNamespacedConfigMapAsync(item.Name, item.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false)).Metadata,
                "HTTPRoute" => KubernetesJson.Deserialize<MetadataOnly>(KubernetesJson.Serialize(
                    await client.CustomObjects.GetNamespacedCustomObjectAsync(KubernetesDeployer.GatewayApiGroup, GatewayVersion(item), item.Namespace, "httproutes",
                        item.Name, cancellationToken).ConfigureAwait(false))).Metadata,
                _ => null,
            };
            if (metadata is null)
            {
                logger.Warning("Inventory lists {Object} of a kind Slipway does not prune; left alone", item);
                return false;
            }
            if (metadata.Labels.Get(SlipwayKubernetesLabels.ManagedByLabel) != SlipwayKubernetesLabels.ManagedByValue ||
                metadata.Labels.Get(SlipwayKubernetesLabels.EnvironmentLabel) != environment)
            {
                logger.Warning("{Object} is no longer labelled as Slipway's in {Environment}; not pruned", item, environment);
                return false;
            }
            switch (item.Kind)
            {
                case "Deployment": await client.AppsV1.DeleteNamespacedDeploymentAsync(item.Name, item.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false); break;
                case "Service": await client.CoreV1.DeleteNamespacedServiceAsync(item.Name, item.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false); break;
                case "ConfigMap": await client.CoreV1.DeleteNamespacedConfigMapAsync(item.Name, item.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false); break;
                case "HTTPRoute":
                    await client.CustomObjects.DeleteNamespacedCustomObjectAsync(KubernetesDeployer.GatewayApiGroup, GatewayVersion(item), item.Namespace, "httproutes",
                        item.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
                    break;
            }
            logger.Information("Pruned {Object}: Git no longer has it", item);
            return true;
        }
        catch (HttpOperationException exception) when (exception.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false; // already gone
        }
        catch (HttpOperationException exception)
        {
            throw KubernetesStatus.Failure(item.ToString(), "prune (delete)", exception);
        }
    }

    /// <summary>Just the metadata of a custom resource read through the untyped API.</summary>
    private sealed class MetadataOnly
    {
        [System.Text.Json.Serialization.JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    }
}
