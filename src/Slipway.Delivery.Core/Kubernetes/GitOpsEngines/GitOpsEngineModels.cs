using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Slipway.Delivery.Kubernetes.GitOpsEngines;

// The few fields Slipway reads of the engines' custom resources (everything else is ignored on deserialisation).

/// <summary>Flux kustomize.toolkit.fluxcd.io/v1 Kustomization.</summary>
public sealed class FluxKustomization : IKubernetesObject<V1ObjectMeta>
{
    public const string Group = "kustomize.toolkit.fluxcd.io";
    public const string Version = "v1";
    public const string Plural = "kustomizations";

    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = $"{Group}/{Version}";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "Kustomization";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("status")] public FluxKustomizationStatus? Status { get; set; }
}

public sealed class FluxKustomizationStatus
{
    [JsonPropertyName("observedGeneration")] public long? ObservedGeneration { get; set; }
    [JsonPropertyName("lastAppliedRevision")] public string? LastAppliedRevision { get; set; }
    [JsonPropertyName("lastAttemptedRevision")] public string? LastAttemptedRevision { get; set; }
    [JsonPropertyName("conditions")] public IList<V1Condition>? Conditions { get; set; }
}

public sealed class FluxKustomizationList : IKubernetesObject<V1ListMeta>, IItems<FluxKustomization>
{
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = $"{FluxKustomization.Group}/{FluxKustomization.Version}";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "KustomizationList";
    [JsonPropertyName("metadata")] public V1ListMeta Metadata { get; set; } = new();
    [JsonPropertyName("items")] public IList<FluxKustomization> Items { get; set; } = [];
}

/// <summary>Argo CD argoproj.io/v1alpha1 Application.</summary>
public sealed class ArgoCdApplication : IKubernetesObject<V1ObjectMeta>
{
    public const string Group = "argoproj.io";
    public const string Version = "v1alpha1";
    public const string Plural = "applications";

    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = $"{Group}/{Version}";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "Application";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("status")] public ArgoCdApplicationStatus? Status { get; set; }
}

public sealed class ArgoCdApplicationStatus
{
    [JsonPropertyName("sync")] public ArgoCdSyncStatus? Sync { get; set; }
    [JsonPropertyName("health")] public ArgoCdHealthStatus? Health { get; set; }
    [JsonPropertyName("operationState")] public ArgoCdOperationState? OperationState { get; set; }
}

public sealed class ArgoCdSyncStatus
{
    /// <summary>Synced, OutOfSync or Unknown.</summary>
    [JsonPropertyName("status")] public string? Status { get; set; }
    [JsonPropertyName("revision")] public string? Revision { get; set; }
}

public sealed class ArgoCdHealthStatus
{
    /// <summary>Healthy, Progressing, Degraded, Suspended, Missing or Unknown.</summary>
    [JsonPropertyName("status")] public string? Status { get; set; }
    [JsonPropertyName("message")] public string? Message { get; set; }
}

public sealed class ArgoCdOperationState
{
    /// <summary>Running, Succeeded, Failed, Error or Terminating.</summary>
    [JsonPropertyName("phase")] public string? Phase { get; set; }
    [JsonPropertyName("message")] public string? Message { get; set; }
    [JsonPropertyName("syncResult")] public ArgoCdSyncResult? SyncResult { get; set; }
}

public sealed class ArgoCdSyncResult
{
    [JsonPropertyName("revision")] public string? Revision { get; set; }
}
