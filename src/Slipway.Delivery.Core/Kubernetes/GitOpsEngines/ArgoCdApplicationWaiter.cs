using k8s;
using Serilog;

namespace Slipway.Delivery.Kubernetes.GitOpsEngines;

/// <summary>
/// Waits on an Argo CD Application: status.sync.status Synced at status.sync.revision == the expected commit, and
/// status.health.status Healthy. Degraded at that revision, or a failed sync operation of it, is a failure.
/// </summary>
public sealed class ArgoCdApplicationWaiter(IKubernetes client, ILogger logger)
    : CustomResourceWaiter<ArgoCdApplication>(client, logger, ArgoCdApplication.Group, ArgoCdApplication.Version, ArgoCdApplication.Plural, "Application")
{
    public override GitOpsEngineStatus Evaluate(ArgoCdApplication item, string expectedRevision)
    {
        ArgumentNullException.ThrowIfNull(item);
        var sync = item.Status?.Sync;
        var health = item.Status?.Health;
        var operation = item.Status?.OperationState;
        var atRevision = SameCommit(sync?.Revision, expectedRevision);

        if (operation?.Phase is "Failed" or "Error" && SameCommit(operation.SyncResult?.Revision ?? sync?.Revision, expectedRevision))
            return new(GitOpsEngineState.Failed, $"Argo CD sync of revision {expectedRevision} {operation.Phase.ToLowerInvariant()}: {operation.Message}", sync?.Revision);
        if (atRevision && health?.Status == "Degraded")
            return new(GitOpsEngineState.Failed, $"revision {expectedRevision} is Degraded: {health.Message ?? "(no message)"}", sync?.Revision);
        if (atRevision && sync?.Status == "Synced" && health?.Status == "Healthy")
            return new(GitOpsEngineState.Succeeded, $"revision {sync.Revision} Synced and Healthy", sync.Revision);
        return new(GitOpsEngineState.Waiting,
            $"waiting for revision {expectedRevision}: sync {sync?.Status ?? "unknown"} at {sync?.Revision ?? "none"}, health {health?.Status ?? "unknown"}",
            sync?.Revision);
    }
}
