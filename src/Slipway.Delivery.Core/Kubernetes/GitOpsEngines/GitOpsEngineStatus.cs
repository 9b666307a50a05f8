namespace Slipway.Delivery.Kubernetes.GitOpsEngines;

/// <summary>The engine that applies an environment, which `Deploy --wait-for` waits on.</summary>
public enum GitOpsEngine
{
    /// <summary>Slipway's own agent (waited on through its status API: Slipway.Delivery AgentApi's AgentClient).</summary>
    Slipway,
    /// <summary>A Flux Kustomization pointing at environments/&lt;env&gt;/.</summary>
    Flux,
    /// <summary>An Argo CD Application with environments/&lt;env&gt;/ as a directory source.</summary>
    ArgoCd,
}

public static class GitOpsEngineNames
{
    /// <summary>Parses the --wait-for value: slipway, flux or argocd.</summary>
    public static GitOpsEngine Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "slipway" => GitOpsEngine.Slipway,
        "flux" => GitOpsEngine.Flux,
        "argocd" or "argo-cd" or "argo" => GitOpsEngine.ArgoCd,
        _ => throw new ArgumentException($"--wait-for '{text}' is unknown; use slipway, flux or argocd", nameof(text)),
    };

    /// <summary>Where the examples in deploy/kubernetes/ put the engine's object for an environment.</summary>
    public static (string Namespace, string Name) DefaultObject(GitOpsEngine engine, string environment) => engine switch
    {
        GitOpsEngine.Flux => ("flux-system", $"slipway-{environment}"),
        GitOpsEngine.ArgoCd => ("argocd", $"slipway-{environment}"),
        _ => throw new ArgumentException("the Slipway agent is waited on through its API, not a Kubernetes object", nameof(engine)),
    };
}

public enum GitOpsEngineState
{
    /// <summary>Not yet at the expected revision, or still reconciling it.</summary>
    Waiting,
    /// <summary>The expected revision is applied and healthy.</summary>
    Succeeded,
    /// <summary>The engine reports the expected revision failed.</summary>
    Failed,
}

/// <summary>What an engine's object says about one expected config-repo revision.</summary>
public sealed record GitOpsEngineStatus(GitOpsEngineState State, string Message, string? Revision);

/// <summary>The engine reported a failure for the revision, or it did not arrive in time.</summary>
public sealed class GitOpsEngineWaitException(string message, GitOpsEngineStatus? lastStatus) : InvalidOperationException(message)
{
    public GitOpsEngineStatus? LastStatus { get; } = lastStatus;
}
