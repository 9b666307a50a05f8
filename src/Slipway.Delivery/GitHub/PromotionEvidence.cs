using Slipway.Delivery.Oci;
using Slipway.Delivery.SmokeTesting;

namespace Slipway.Delivery.GitHub;

/// <summary>What a reviewer needs to approve a promotion: the smoke tests that passed and the canary analysis.</summary>
public sealed record PromotionEvidence
{
    public IReadOnlyList<SmokeTestResult> SmokeTests { get; init; } = [];

    public CanaryAnalysisEvidence? CanaryAnalysis { get; init; }

    /// <summary>Where the digest's signature, SBOM, provenance and ContainerTest results are in the registry; null when unknown.</summary>
    public Slipway.Delivery.SupplyChain.SupplyChainEvidence? SupplyChain { get; init; }

    public static PromotionEvidence None { get; } = new();
}

/// <summary>A canary analysis: one measurement per step and metric, canary against threshold and stable.</summary>
public sealed record CanaryAnalysisEvidence(bool Passed, IReadOnlyList<CanaryMeasurement> Measurements, string? Summary = null);

/// <param name="Weight">The step's traffic share to the canary, in percent.</param>
/// <param name="Metric">E.g. "error rate" or "p95 latency (ms)".</param>
/// <param name="Stable">The stable version's value over the same window; null when not compared.</param>
public sealed record CanaryMeasurement(int Weight, string Metric, double Canary, double? Stable, double Threshold, bool Passed);

/// <summary>Everything a promotion pull request says: where, what, which change, and the evidence.</summary>
/// <param name="Branch">The branch the caller pushed (see <see cref="PromotionBranch.For"/>).</param>
/// <param name="BaseBranch">The config repo's branch the agent follows.</param>
/// <param name="Trailers">The promotion commit's trailers; they also become the squash commit's message.</param>
/// <param name="DiffSummary">What changes in environments/&lt;env&gt;/ (e.g. git diff --stat, or the diff itself).</param>
/// <param name="FromEnvironment">The environment the digest was proven in (e.g. staging).</param>
public sealed record PromotionPullRequestRequest(
    string Branch,
    string BaseBranch,
    string Title,
    Slipway.Delivery.ConfigRepo.DeploymentTrailers Trailers,
    string DiffSummary,
    PromotionEvidence Evidence,
    string? FromEnvironment = null)
{
    public string Environment => Trailers.Environment;
}

/// <summary>The branch name a promotion's pull request comes from.</summary>
public static class PromotionBranch
{
    /// <summary>slipway/promote-&lt;env&gt;-&lt;first 12 hex digits of the digest&gt;.</summary>
    public static string For(string environment, string image) => $"slipway/promote-{environment}-{ShortDigest(image)}";

    /// <summary>"sha256:0123456789ab…" or "registry/app@sha256:…" to its first 12 hex digits.</summary>
    public static string ShortDigest(string image) => ImageDigest.Of(image).Short;
}
