using System.Net;
using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Serilog;
using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.Kubernetes;

/// <summary>
/// Applies an environment's manifests (environments/&lt;env&gt;/ from the config repo) to a Kubernetes cluster by server-side
/// apply as field manager "slipway", never forced; watches the rollout; prunes what Git no longer has. Used by the agent's
/// Kubernetes backend (pull) and by Deploy --mode push. A rollback is a deploy of the previous revision's manifests.
/// </summary>
public sealed partial class KubernetesDeployer
{
    /// <summary>On every Deployment Slipway applies: hash of the manifests' pod template, to recognise an unchanged revision.</summary>
    public const string TemplateHashAnnotation = "slipway.dev/template-hash";

    private readonly IKubernetes _client;
    private readonly ILogger _logger;
    private readonly KubernetesDeployerOptions _options;
    private readonly ServerSideApply _apply;
    private readonly KubernetesInventory _inventory;
    private readonly RolloutWatcher _rollouts;

    public KubernetesDeployer(IKubernetes client, ILogger logger, KubernetesDeployerOptions? options = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _options = options ?? new KubernetesDeployerOptions();
        _apply = new ServerSideApply(client);
        _inventory = new KubernetesInventory(client, _apply, logger);
        _rollouts = new RolloutWatcher(client, logger);
    }

    /// <summary>Connects through a kubeconfig or in-cluster configuration, after the policy allows reading a credential.</summary>
    /// <exception cref="KubeconfigPolicyException">Pull mode: the build may not read a cluster credential.</exception>
    public static KubernetesDeployer Connect(KubernetesConnectionOptions connection, KubeconfigPolicy policy, ILogger logger,
        KubernetesDeployerOptions? options = null, KubernetesConnection? resolver = null) =>
        new((resolver ?? new KubernetesConnection()).CreateClient(connection, policy), logger, options);

    /// <summary>Deploys with the strategy the Deployment's slipway.dev/strategy annotation names (rolling, blue-green, canary).</summary>
    /// <exception cref="KubernetesApplyConflictException">Another field manager owns a field with a different value.</exception>
    /// <exception cref="KubernetesRolloutException">The rollout failed (ProgressDeadlineExceeded) or timed out.</exception>
    public Task<KubernetesDeployResult> DeployAsync(EnvironmentManifests manifests, CancellationToken cancellationToken = default) =>
        DeployAsync(manifests, progress: null, cancellationToken);

    /// <summary>Deploys as <see cref="DeployAsync(EnvironmentManifests, CancellationToken)"/>, reporting each rollout status change.</summary>
    public Task<KubernetesDeployResult> DeployAsync(EnvironmentManifests manifests, IProgress<RolloutStatus>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifests);
        return manifests.Strategy switch
        {
            "blue-green" => DeployBlueGreenAsync(manifests, progress, cancellationToken),
            "canary" => DeployCanaryAsync(manifests, progress, cancellationToken),
            "rolling" => DeployRollingAsync(manifests, progress, cancellationToken),
            var other => throw new ArgumentException(
                $"{SlipwayMetadata.EnvironmentFolder(manifests.Environment)}/{SlipwayMetadata.DeploymentFile}: strategy '{other}' is unknown; " +
                $"use one of {string.Join(", ", SlipwayMetadata.Strategies)}", nameof(manifests)),
        };
    }

    /// <summary>Rolls back by deploying the previous revision's manifests (read from Git by the caller).</summary>
    public Task<KubernetesDeployResult> RollbackAsync(EnvironmentManifests previousManifests, CancellationToken cancellationToken = default) =>
        RollbackAsync(previousManifests, progress: null, cancellationToken);

    /// <summary>Rolls back as <see cref="RollbackAsync(EnvironmentManifests, CancellationToken)"/>, reporting each rollout status change.</summary>
    public Task<KubernetesDeployResult> RollbackAsync(EnvironmentManifests previousManifests, IProgress<RolloutStatus>? progress,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(previousManifests);
        _logger.Information("Rolling back {Environment} to image {Image}", previousManifests.Environment, previousManifests.Image);
        return DeployAsync(previousManifests, progress, cancellationToken);
    }

    /// <summary>Reads where a Deployment's rollout stands, without waiting (e.g. for the agent's status).</summary>
    public async Task<RolloutStatus> GetRolloutStatusAsync(string @namespace, string deploymentName, CancellationToken cancellationToken = default)
    {
        try
        {
            return RolloutStatus.Of(await _client.AppsV1.ReadNamespacedDeploymentAsync(deploymentName, @namespace, cancellationToken: cancellationToken)
                .ConfigureAwait(false));
        }
        catch (HttpOperationException exception)
        {
            throw KubernetesStatus.Failure($"Deployment {@namespace}/{deploymentName}", "read", exception);
        }
    }

    /// <summary>Watches a Deployment until its rollout completes; throws when it fails or the timeout passes.</summary>
    public Task<RolloutStatus> WaitForRolloutAsync(string @namespace, string deploymentName, TimeSpan? timeout = null,
        IProgress<RolloutStatus>? progress = null, CancellationToken cancellationToken = default) =>
        _rollouts.WaitAsync(@namespace, deploymentName, timeout ?? _options.RolloutTimeout, progress, cancellationToken);

    /// <summary>Whether the cluster serves an API group (e.g. gateway.networking.k8s.io), by API discovery (/apis).</summary>
    public async Task<bool> ServesApiGroupAsync(string group, CancellationToken cancellationToken = default)
    {
        var groups = await _client.Apis.GetAPIVersionsAsync(cancellationToken).ConfigureAwait(false);
        return groups.Groups?.Any(item => item.Name == group) == true;
    }

    private Task<KubernetesDeployResult> DeployRollingAsync(EnvironmentManifests manifests, IProgress<RolloutStatus>? progress,
        CancellationToken cancellationToken) =>
        RollingAsync(Prepare(manifests), manifests.Image, "rolling", applyMore: null, progress, cancellationToken);

    /// <summary>Applies ConfigMap, Deployment, Service (+ <paramref name="applyMore"/>), prunes, and waits for the rollout.</summary>
    private async Task<KubernetesDeployResult> RollingAsync(PreparedEnvironment environment, string? image, string strategy,
        Func<List<KubernetesObjectReference>, Task>? applyMore, IProgress<RolloutStatus>? progress, CancellationToken cancellationToken)
    {
        await EnsureNamespaceAsync(environment, cancellationToken).ConfigureAwait(false);
        var applied = new List<KubernetesObjectReference>();
        await ApplyConfigMapAsync(environment, applied, cancellationToken).ConfigureAwait(false);
        var deployment = await ApplyDeploymentAsync(environment.Deployment, applied, cancellationToken).ConfigureAwait(false);
        await ApplyServiceAsync(environment.Service, applied, cancellationToken).ConfigureAwait(false);
        if (applyMore is not null) await applyMore(applied).ConfigureAwait(false);
        var pruned = await _inventory.PruneAndRecordAsync(environment.Namespace, environment.Name, applied, cancellationToken).ConfigureAwait(false);
        var rollout = await WaitForRolloutAsync(environment.Namespace, deployment.Metadata.Name, progress: progress, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return new(environment.Name, strategy, image, applied, pruned, rollout);
    }

    private async Task EnsureNamespaceAsync(PreparedEnvironment environment, CancellationToken cancellationToken)
    {
        if (!_options.ManageNamespaces) return;
        await _apply.NamespaceAsync(new V1Namespace
        {
            ApiVersion = "v1",
            Kind = "Namespace",
            Metadata = new V1ObjectMeta { Name = environment.Namespace, Labels = OwnedLabels(environment.Name) },
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task ApplyConfigMapAsync(PreparedEnvironment environment, List<KubernetesObjectReference> applied, CancellationToken cancellationToken)
    {
        var configMap = await _apply.ConfigMapAsync(environment.ConfigMap, cancellationToken).ConfigureAwait(false);
        applied.Add(Reference(configMap, "v1", "ConfigMap"));
        _logger.Information("Applied {Object}", applied[^1]);
    }

    private async Task<V1Deployment> ApplyDeploymentAsync(V1Deployment body, List<KubernetesObjectReference> applied, CancellationToken cancellationToken)
    {
        var deployment = await _apply.DeploymentAsync(body, cancellationToken).ConfigureAwait(false);
        applied.Add(Reference(deployment, "apps/v1", "Deployment"));
        _logger.Information("Applied {Object} (generation {Generation})", applied[^1], deployment.Metadata.Generation);
        return deployment;
    }

    private async Task ApplyServiceAsync(V1Service body, List<KubernetesObjectReference> applied, CancellationToken cancellationToken)
    {
        var service = await _apply.ServiceAsync(body, cancellationToken).ConfigureAwait(false);
        applied.Add(Reference(service, "v1", "Service"));
        _logger.Information("Applied {Object}", applied[^1]);
    }

    // Responses of some servers omit apiVersion/kind on typed reads; the reference is what was applied.
    private static KubernetesObjectReference Reference(IKubernetesObject<V1ObjectMeta> item, string apiVersion, string kind) =>
        new(apiVersion, kind, item.Metadata.NamespaceProperty, item.Metadata.Name);

    private async Task<V1Deployment?> ReadDeploymentOrNullAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.AppsV1.ReadNamespacedDeploymentAsync(name, @namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException exception) when (exception.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task DeleteDeploymentIfPresentAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            await _client.AppsV1.DeleteNamespacedDeploymentAsync(name, @namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            _logger.Information("Deleted Deployment {Namespace}/{Name}", @namespace, name);
        }
        catch (HttpOperationException exception) when (exception.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    /// <summary>
    /// Re-applies a live Deployment (which Slipway applied) with another replica count: the body is the live object
    /// without server-set fields, so the apply changes nothing but replicas and keeps Slipway's ownership of every field.
    /// </summary>
    private Task<V1Deployment> ScaleOwnedDeploymentAsync(V1Deployment live, int replicas, CancellationToken cancellationToken)
    {
        var body = Copy(live);
        body.ApiVersion = "apps/v1";
        body.Kind = "Deployment";
        body.Status = null;
        body.Metadata = new V1ObjectMeta
        {
            Name = live.Metadata.Name,
            NamespaceProperty = live.Metadata.NamespaceProperty,
            Labels = live.Metadata.Labels,
            Annotations = live.Metadata.Annotations,
        };
        body.Spec.Replicas = replicas;
        _logger.Information("Scaling Deployment {Namespace}/{Name} to {Replicas}", live.Metadata.NamespaceProperty, live.Metadata.Name, replicas);
        return _apply.DeploymentAsync(body, cancellationToken);
    }

    private static Dictionary<string, string> OwnedLabels(string environment) => new()
    {
        [SlipwayKubernetesLabels.ManagedByLabel] = SlipwayKubernetesLabels.ManagedByValue,
        [SlipwayKubernetesLabels.EnvironmentLabel] = environment,
    };

    private static T Copy<T>(T item) => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(item));

    /// <summary>Copies of the manifests with apiVersion/kind, namespace and the ownership labels set.</summary>
    private static PreparedEnvironment Prepare(EnvironmentManifests manifests)
    {
        var environment = manifests.Environment;
        var deployment = Copy(manifests.Deployment);
        var service = Copy(manifests.Service);
        var configMap = Copy(manifests.ConfigMap);
        (deployment.ApiVersion, deployment.Kind) = ("apps/v1", "Deployment");
        (service.ApiVersion, service.Kind) = ("v1", "Service");
        (configMap.ApiVersion, configMap.Kind) = ("v1", "ConfigMap");
        foreach (var item in new IKubernetesObject<V1ObjectMeta>[] { deployment, service, configMap })
        {
            var metadata = item.Metadata ??= new V1ObjectMeta();
            if (string.IsNullOrEmpty(metadata.Name))
                throw new ArgumentException($"{SlipwayMetadata.EnvironmentFolder(environment)}: the {item.Kind} has no metadata.name; name it", nameof(manifests));
            if (metadata.NamespaceProperty is { } ns && ns != environment)
                throw new ArgumentException($"{SlipwayMetadata.EnvironmentFolder(environment)}: {item.Kind} {metadata.Name} is in namespace '{ns}', " +
                                            $"but objects of environment '{environment}' live in namespace '{environment}'; fix metadata.namespace", nameof(manifests));
            metadata.NamespaceProperty = environment;
            var labels = metadata.Labels ??= new Dictionary<string, string>();
            foreach (var (key, value) in OwnedLabels(environment)) labels[key] = value;
            metadata.ResourceVersion = null;
            metadata.ManagedFields = null;
        }
        if (deployment.Spec?.Template is null || deployment.Spec.Selector is null)
            throw new ArgumentException($"{SlipwayMetadata.EnvironmentFolder(environment)}/{SlipwayMetadata.DeploymentFile}: spec.selector and spec.template are required",
                nameof(manifests));
        (deployment.Metadata.Annotations ??= new Dictionary<string, string>())[TemplateHashAnnotation] = TemplateHash(manifests.Deployment);
        return new PreparedEnvironment(environment, environment, deployment, service, configMap, deployment.Spec.Replicas ?? 1);
    }

    private static string TemplateHash(V1Deployment deployment) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(KubernetesJson.Serialize(deployment.Spec?.Template))))[..16];

    private sealed record PreparedEnvironment(string Name, string Namespace, V1Deployment Deployment, V1Service Service, V1ConfigMap ConfigMap,
        int Replicas)
    {
        public string App => Deployment.Metadata.Name;
        public string TemplateHash => Deployment.Metadata.Annotations[TemplateHashAnnotation];
    }
}
