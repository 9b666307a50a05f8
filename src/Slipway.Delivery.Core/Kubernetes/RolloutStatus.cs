using k8s.Models;

namespace Slipway.Delivery.Kubernetes;

public enum RolloutState
{
    /// <summary>The controller is still working (or has not yet seen the latest spec).</summary>
    Progressing,
    /// <summary>Every replica runs the latest template and is available.</summary>
    Complete,
    /// <summary>The Progressing condition reports ProgressDeadlineExceeded: the rollout stalled.</summary>
    Failed,
}

/// <summary>Where a Deployment's rollout stands, read from its status the way `kubectl rollout status` reads it.</summary>
public sealed record RolloutStatus(RolloutState State, string Message, int DesiredReplicas, int UpdatedReplicas, int AvailableReplicas)
{
    public const string ProgressDeadlineExceeded = "ProgressDeadlineExceeded";

    public static RolloutStatus Of(V1Deployment deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        var name = $"deployment {deployment.Metadata?.NamespaceProperty}/{deployment.Metadata?.Name}";
        var desired = deployment.Spec?.Replicas ?? 1;
        var status = deployment.Status;
        var updated = status?.UpdatedReplicas ?? 0;
        var available = status?.AvailableReplicas ?? 0;
        var total = status?.Replicas ?? 0;

        // Until the controller has observed the latest generation, the rest of the status describes an older spec.
        if ((status?.ObservedGeneration ?? 0) < (deployment.Metadata?.Generation ?? 0))
            return new(RolloutState.Progressing, $"{name}: waiting for the controller to observe generation {deployment.Metadata?.Generation}",
                desired, updated, available);

        var progressing = status?.Conditions?.FirstOrDefault(condition => condition.Type == "Progressing");
        if (progressing?.Reason == ProgressDeadlineExceeded)
            return new(RolloutState.Failed, $"{name}: rollout failed ({ProgressDeadlineExceeded}): {progressing.Message}", desired, updated, available);

        if (updated < desired)
            return new(RolloutState.Progressing, $"{name}: {updated} of {desired} replicas updated", desired, updated, available);
        if (total > updated)
            return new(RolloutState.Progressing, $"{name}: {total - updated} old replicas pending termination", desired, updated, available);
        if (available < updated)
            return new(RolloutState.Progressing, $"{name}: {available} of {updated} updated replicas available", desired, updated, available);
        return new(RolloutState.Complete, $"{name}: rolled out ({available} of {desired} available)", desired, updated, available);
    }
}

/// <summary>A rollout failed or did not finish in time.</summary>
public sealed class KubernetesRolloutException(string message, RolloutStatus? lastStatus) : InvalidOperationException(message)
{
    public RolloutStatus? LastStatus { get; } = lastStatus;
}
