using Slipway.Delivery.AgentApi;
using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.Analysis;

/// <summary>
/// The verdict on one analysis window: the canary's requests, 5xx share and p95 against <see cref="AnalysisSpec"/>'s
/// thresholds and against the stable version's p95 over the same window.
/// </summary>
public static class CanaryJudge
{
    /// <summary>A stable p95 under this counts as this, so a canary on a quiet, sub-millisecond service is not failed by noise.</summary>
    public const double StableP95FloorMs = 5;

    public static AnalysisResult Judge(AnalysisSpec spec, RequestMetrics canary, RequestMetrics stable, int step, int canaryWeight, DateTimeOffset at)
    {
        var canaryP95 = canary.QuantileMs(0.95);
        var stableP95 = stable.QuantileMs(0.95);
        AnalysisResult Result(AnalysisVerdict verdict, string reason) => new(step, canaryWeight, at,
            (long)canary.Requests, canary.ErrorRate, canaryP95, (long)stable.Requests, stable.ErrorRate, stableP95, verdict, reason);

        if (canary.Requests < spec.MinRequests)
            return Result(AnalysisVerdict.Inconclusive, $"only {canary.Requests:0} canary requests in the window; at least {spec.MinRequests} are needed to judge");
        if (canary.ErrorRate > spec.MaxErrorRate)
            return Result(AnalysisVerdict.Failed,
                $"canary error rate {canary.ErrorRate:P1} ({canary.ServerErrors:0} of {canary.Requests:0} answered 5xx) is above the maximum {spec.MaxErrorRate:P1} (stable: {stable.ErrorRate:P1})");
        if (canaryP95 > spec.MaxP95Ms)
            return Result(AnalysisVerdict.Failed, $"canary p95 latency {canaryP95:0.#} ms is above the maximum {spec.MaxP95Ms:0.#} ms (stable: {Ms(stableP95)})");
        if (stableP95 is { } stableMs && canaryP95 is { } canaryMs && canaryMs > spec.MaxP95Ratio * Math.Max(stableMs, StableP95FloorMs))
            return Result(AnalysisVerdict.Failed,
                $"canary p95 latency {canaryMs:0.#} ms is more than {spec.MaxP95Ratio:0.##}x the stable version's {stableMs:0.#} ms (floor {StableP95FloorMs} ms)");
        return Result(AnalysisVerdict.Passed,
            $"{canary.Requests:0} canary requests, error rate {canary.ErrorRate:P1}, p95 {Ms(canaryP95)} (stable: {stable.Requests:0} requests, p95 {Ms(stableP95)})");
    }

    static string Ms(double? value) => value is { } ms ? $"{ms:0.#} ms" : "n/a";
}
