using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.Kubernetes;

/// <summary>How a <see cref="KubernetesDeployer"/> behaves.</summary>
public sealed record KubernetesDeployerOptions
{
    /// <summary>How long one rollout (a Deployment, a colour, a canary step) may take before the deploy fails.</summary>
    public TimeSpan RolloutTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Apply the environment's Namespace before its objects. Push mode: true. The agent under agent-rbac.yaml has no
    /// cluster-wide rights: the namespaces come with that manifest, so it sets false.
    /// </summary>
    public bool ManageNamespaces { get; init; } = true;

    /// <summary>
    /// Called after each canary step is live (canary available at its weight) and its pause has passed; false aborts the
    /// canary (canary removed, stable restored). Null: every step passes.
    /// </summary>
    public Func<CanaryStepContext, CancellationToken, Task<bool>>? AnalyseCanaryStep { get; init; }

    /// <summary>
    /// The Gateway API Gateway that routes to the environment. When set and the cluster serves gateway.networking.k8s.io,
    /// canary traffic is split by HTTPRoute backendRefs weights instead of by replica ratio. (The agent then also needs
    /// rights on httproutes: see deploy/kubernetes/agent-rbac.yaml.)
    /// </summary>
    public GatewayParentReference? Gateway { get; init; }

    /// <summary>Waits a canary step's pause (tests pass a fake).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>The Gateway an HTTPRoute attaches to (its parentRefs entry).</summary>
public sealed record GatewayParentReference(string Name, string? Namespace = null, string? SectionName = null);

/// <summary>How a canary's traffic is divided.</summary>
public enum CanaryTrafficSplit
{
    /// <summary>One Service selects both tracks: traffic follows the ratio of ready pods.</summary>
    ReplicaRatio,
    /// <summary>An HTTPRoute sends weighted traffic to &lt;service&gt;-stable and &lt;service&gt;-canary.</summary>
    HttpRouteWeights,
}

/// <summary>A canary step that is live: its weight, how traffic is split, and the replicas of each track.</summary>
public sealed record CanaryStepContext(string Environment, CanaryStep Step, CanarySplit Split, CanaryTrafficSplit Traffic = CanaryTrafficSplit.ReplicaRatio);

/// <summary>The replica split of a canary: traffic divides in proportion to ready pods behind the one Service.</summary>
public sealed record CanarySplit(int Weight, int StableReplicas, int CanaryReplicas)
{
    /// <summary>
    /// The split for <paramref name="weight"/> percent of <paramref name="totalReplicas"/>: at least one canary pod for any
    /// weight above 0, and at least one stable pod below 100 when there are two or more replicas.
    /// </summary>
    public static CanarySplit For(int totalReplicas, int weight)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalReplicas);
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(weight, 100);
        if (weight == 0 || totalReplicas == 0) return new(weight, totalReplicas, 0);
        if (weight == 100) return new(weight, 0, totalReplicas);
        var canary = Math.Max(1, (int)Math.Round(totalReplicas * weight / 100.0, MidpointRounding.AwayFromZero));
        if (canary >= totalReplicas && totalReplicas > 1) canary = totalReplicas - 1;
        return new(weight, totalReplicas - canary, canary);
    }
}

/// <summary>What a deploy did.</summary>
/// <param name="ActiveColor">Blue-green: the colour the Service now selects.</param>
public sealed record KubernetesDeployResult(
    string Environment,
    string Strategy,
    string? Image,
    IReadOnlyList<KubernetesObjectReference> Applied,
    IReadOnlyList<KubernetesObjectReference> Pruned,
    RolloutStatus Rollout,
    string? ActiveColor = null,
    CanaryTrafficSplit? CanaryTraffic = null);

/// <summary>A canary step's analysis failed; the canary was removed and the stable track restored.</summary>
public sealed class CanaryAbortedException(string message) : InvalidOperationException(message);
