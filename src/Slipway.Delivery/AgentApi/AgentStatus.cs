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
    string? RefusedRevision);

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
