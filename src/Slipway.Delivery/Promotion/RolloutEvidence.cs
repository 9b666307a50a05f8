using Slipway.Delivery.AgentApi;
using Slipway.Delivery.GitHub;
using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.Promotion;

/// <summary>A finished rollout as evidence for a promotion pull request: each analysis window against its thresholds.</summary>
public static class RolloutEvidence
{
    /// <summary>
    /// The canary (or A/B) analysis of <paramref name="rollout"/>, one error-rate and one p95 measurement per judged window
    /// (inconclusive windows judged nothing); null when the strategy analysed nothing (blue-green, rolling).
    /// </summary>
    public static CanaryAnalysisEvidence? CanaryAnalysisOf(RolloutStatus rollout, AnalysisSpec thresholds)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        ArgumentNullException.ThrowIfNull(thresholds);
        var judged = rollout.Analysis.Where(window => window.Verdict != AnalysisVerdict.Inconclusive).ToList();
        if (judged.Count == 0) return null;
        var measurements = new List<CanaryMeasurement>();
        foreach (var window in judged)
        {
            measurements.Add(new CanaryMeasurement(window.CanaryWeight, "error rate", window.CanaryErrorRate,
                window.StableRequests > 0 ? window.StableErrorRate : null, thresholds.MaxErrorRate, window.CanaryErrorRate <= thresholds.MaxErrorRate));
            if (window.CanaryP95Ms is { } p95)
                measurements.Add(new CanaryMeasurement(window.CanaryWeight, "p95 latency (ms)", p95, window.StableP95Ms, thresholds.MaxP95Ms,
                    p95 <= thresholds.MaxP95Ms && window.Verdict == AnalysisVerdict.Passed));
        }
        var summary = $"{rollout.Strategy} {rollout.Phase.ToString().ToLowerInvariant()} after {judged.Count} analysis window(s)" +
                      (rollout.Message is null ? "" : $": {rollout.Message}");
        return new CanaryAnalysisEvidence(rollout.Phase == RolloutPhase.Succeeded, measurements, summary);
    }
}
