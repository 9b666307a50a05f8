using k8s;
using Serilog;

namespace Slipway.Delivery.Kubernetes.GitOpsEngines;

/// <summary>
/// Waits on a Flux Kustomization: Ready=True with status.lastAppliedRevision naming the expected config-repo commit
/// (Flux writes "main@sha1:&lt;sha&gt;"). Ready=False for that revision is a failure, with the condition's message.
/// </summary>
public sealed class FluxKustomizationWaiter(IKubernetes client, ILogger logger)
    : CustomResourceWaiter<FluxKustomization>(client, logger, FluxKustomization.Group, FluxKustomization.Version, FluxKustomization.Plural, "Kustomization")
{
    public override GitOpsEngineStatus Evaluate(FluxKustomization item, string expectedRevision)
    {
        ArgumentNullException.ThrowIfNull(item);
        var status = item.Status;
        var applied = status?.LastAppliedRevision;
        if ((status?.ObservedGeneration ?? 0) < (item.Metadata.Generation ?? 0))
            return new(GitOpsEngineState.Waiting, $"Flux has not yet observed generation {item.Metadata.Generation}", applied);
        var ready = status?.Conditions?.FirstOrDefault(condition => condition.Type == "Ready");
        var readyText = ready is null ? "no Ready condition yet" : $"Ready={ready.Status} ({ready.Reason}): {ready.Message}";

        if (ready?.Status == "True" && Names(applied, expectedRevision))
            return new(GitOpsEngineState.Succeeded, $"revision {applied} applied and ready", applied);
        // A failure counts only if it is about the expected revision (or Flux does not say which): an older revision's
        // failure is history that the expected one may still fix.
        if (ready?.Status == "False" && (status?.LastAttemptedRevision is null || Names(status.LastAttemptedRevision, expectedRevision)))
            return new(GitOpsEngineState.Failed, $"Flux failed to apply revision {status?.LastAttemptedRevision ?? expectedRevision}: {ready.Reason}: {ready.Message}", applied);
        return new(GitOpsEngineState.Waiting, $"waiting for revision {expectedRevision}; last applied {applied ?? "none"}; {readyText}", applied);
    }

    // Flux revisions: "main@sha1:<sha>" (v1) or "main/<sha>" (older): the commit is what follows the last ':' or '/'.
    private static bool Names(string? revision, string expected)
    {
        if (revision is null) return false;
        var commit = revision[(Math.Max(revision.LastIndexOf(':'), revision.LastIndexOf('/')) + 1)..];
        return SameCommit(commit, expected) || revision.Contains(expected, StringComparison.OrdinalIgnoreCase);
    }
}
