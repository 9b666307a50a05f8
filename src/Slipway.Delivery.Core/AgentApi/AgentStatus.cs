using System.Text.Json.Serialization;

namespace Slipway.Delivery.AgentApi;

/// <summary>What the agent reports on <c>GET /status</c>: the config repo it follows and each environment it manages.</summary>
public sealed record AgentStatus(
    string? ConfigRepoHead,
    DateTimeOffset? LastFetch,
    string? LastFetchError,
    IReadOnlyList<EnvironmentStatus> Environments)
{
    public EnvironmentStatus? Find(string environment) =>
        Environments.FirstOrDefault(e => string.Equals(e.Name, environment, StringComparison.Ordinal));
}

/// <summary>
/// One environment. <see cref="DesiredRevision"/> is the config repo commit the agent last read,
/// <see cref="AppliedRevision"/> the last one fully converged (every replica ready on its template),
/// <see cref="RefusedRevision"/> the latest revision that failed validation (its reason in <see cref="LastError"/>).
/// </summary>
public sealed record EnvironmentStatus(
    string Name,
    string? DesiredRevision,
    string? AppliedRevision,
    string? ImageDigest,
    int ReplicasReady,
    int ReplicasDesired,
    EnvironmentHealth Health,
    string? LastError,
    int? Port,
    string? ConfigHash,
    DateTimeOffset? LastApplied,
    string? RefusedRevision,
    RolloutStatus? Rollout = null);

/// <summary>
/// The progressive rollout of one environment (blue-green, canary, ab-testing; a rolling update reports it too), as the
/// agent drives it. <see cref="Revision"/> is the config repo commit being rolled out. When a step fails the agent moves
/// all traffic back to the stable version, removes the new one, and pushes a revert of the promotion commit with
/// <c>Slipway-Rollback-Of</c>: <see cref="RollbackRevision"/> is that revert, so Git and the environment agree again.
/// </summary>
public sealed record RolloutStatus(
    string Strategy,
    RolloutPhase Phase,
    string Revision,
    string? ImageDigest,
    string? StableImageDigest,
    int Step,
    int StepCount,
    int CanaryWeight,
    int? PreviewPort,
    IReadOnlyList<AnalysisResult> Analysis,
    IReadOnlyList<GateResult> Gates,
    string? Message,
    string? RollbackRevision,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt);

[JsonConverter(typeof(JsonStringEnumConverter<RolloutPhase>))]
public enum RolloutPhase
{
    /// <summary>The new version is being started, previewed, gated or shifted step by step.</summary>
    Progressing,
    /// <summary>All traffic is on the new version; the old one is gone (or only kept warm, out of the router).</summary>
    Succeeded,
    /// <summary>A gate, a smoke check or an analysis failed: traffic is back on stable and the promotion commit reverted.</summary>
    Aborted,
}

/// <summary>One analysis window: the canary's figures against the thresholds and the stable version's.</summary>
public sealed record AnalysisResult(
    int Step,
    int CanaryWeight,
    DateTimeOffset At,
    long CanaryRequests,
    double CanaryErrorRate,
    double? CanaryP95Ms,
    long StableRequests,
    double StableErrorRate,
    double? StableP95Ms,
    AnalysisVerdict Verdict,
    string Reason);

[JsonConverter(typeof(JsonStringEnumConverter<AnalysisVerdict>))]
public enum AnalysisVerdict
{
    Passed,
    Failed,
    /// <summary>Too few requests in the window to judge; the window is repeated (bounded).</summary>
    Inconclusive,
}

/// <summary>A pre-rollout gate webhook's answer.</summary>
public sealed record GateResult(string Name, int? StatusCode, bool Passed, string Message, DateTimeOffset At);

[JsonConverter(typeof(JsonStringEnumConverter<EnvironmentHealth>))]
public enum EnvironmentHealth
{
    /// <summary>Every desired replica is ready on the applied revision.</summary>
    Healthy,
    /// <summary>A rollout or scale is under way.</summary>
    Progressing,
    /// <summary>Serving, but fewer ready replicas than desired, or the latest revision was refused.</summary>
    Degraded,
    /// <summary>Nothing serves: no ready replica, or no valid revision was ever applied.</summary>
    Failed,
}
