namespace Slipway.Delivery.Kubernetes;

/// <summary>How a deploy reaches the environment: through Git and an agent (pull, the default) or directly (push).</summary>
public enum DeployMode
{
    /// <summary>The build commits to the config repo; the agent or Flux/Argo CD beside the cluster applies it.</summary>
    Pull,
    /// <summary>The build applies to the cluster itself with a kubeconfig (teams without an agent).</summary>
    Push,
}

/// <summary>
/// Guards cluster credentials. In pull mode the build process must never read a cluster credential: the agent (or Flux,
/// Argo CD) holds the only one, so a leaked CI secret cannot touch the cluster. Push mode must be chosen explicitly.
/// </summary>
public sealed class KubeconfigPolicy
{
    private readonly string _caller;

    private KubeconfigPolicy(string caller, bool mayReadCredentials)
    {
        _caller = caller;
        MayReadCredentials = mayReadCredentials;
    }

    public bool MayReadCredentials { get; }

    /// <summary>The policy of the build process: credentials only when <paramref name="mode"/> is <see cref="DeployMode.Push"/>.</summary>
    public static KubeconfigPolicy ForBuild(DeployMode mode) =>
        new($"the build in {mode.ToString().ToLowerInvariant()} mode", mode == DeployMode.Push);

    /// <summary>
    /// The build waiting on Flux or Argo CD (`Deploy --wait-for flux|argocd`): it reads a credential, which must be a
    /// read-only one — get/list/watch on the engine's objects only (deploy/kubernetes/ci-status-reader-rbac.yaml), never
    /// a deploy credential. Use it only with <see cref="GitOpsEngines.FluxKustomizationWaiter"/> and
    /// <see cref="GitOpsEngines.ArgoCdApplicationWaiter"/>.
    /// </summary>
    public static KubeconfigPolicy ForEngineStatusReader() => new("the build waiting on a GitOps engine", mayReadCredentials: true);

    /// <summary>The policy of the agent, which lives beside the cluster and is the one holder of its credential.</summary>
    public static KubeconfigPolicy ForAgent() => new("the agent", mayReadCredentials: true);

    /// <summary>Throws unless this caller may read a cluster credential; <paramref name="source"/> names what it was about to read.</summary>
    /// <exception cref="KubeconfigPolicyException">The caller runs in pull mode.</exception>
    public void EnsureMayRead(string source)
    {
        if (!MayReadCredentials)
            throw new KubeconfigPolicyException(
                $"{_caller} refuses to read a cluster credential ({source}): in pull mode the build only commits to the config repo and " +
                "the agent (or Flux/Argo CD) applies it, so CI never holds cluster access. Choose push mode explicitly " +
                "(Deploy --mode push) to apply from this process, or remove the kubeconfig and let the agent deploy.");
    }
}

/// <summary>A cluster credential was about to be read where the pull model forbids it.</summary>
public sealed class KubeconfigPolicyException(string message) : InvalidOperationException(message);
