using Slipway.Delivery.AgentApi;
using Slipway.Delivery.Manifests;

namespace Slipway.Agent.Backends;

/// <summary>
/// Where an environment runs. The synchronizer hands it validated manifests every loop; the backend converges the
/// environment onto them from its actual state (never from memory), so calling it again is always safe.
/// Implementations: Docker (one machine, <see cref="Docker.DockerEnvironmentBackend"/>); Kubernetes comes later
/// (server-side apply, rollout read from Deployment status).
/// </summary>
public interface IEnvironmentBackend
{
    string Name { get; }

    /// <summary>What in these (already generally valid) manifests this backend cannot run; empty when it can.</summary>
    IReadOnlyList<string> Check(EnvironmentManifests manifests);

    /// <summary>Converges the environment onto <paramref name="manifests"/> at <paramref name="revision"/>, reporting progress as it goes.</summary>
    Task<BackendState> ApplyAsync(EnvironmentManifests manifests, string revision, IProgress<BackendState>? progress, CancellationToken cancellationToken);

    /// <summary>The environment as it runs now, without changing it.</summary>
    Task<BackendState> GetStatusAsync(string environment, CancellationToken cancellationToken);

    /// <summary>Removes everything the environment runs (Git no longer has it).</summary>
    Task PruneAsync(string environment, CancellationToken cancellationToken);

    /// <summary>The revision whose replicas run warm out of traffic for an instant rollback (its window open); null for none.</summary>
    KeptWarm? KeptWarm(string environment);

    /// <summary>
    /// Moves all of the environment's traffic to the <see cref="KeptWarm"/> revision's replicas at once, ahead of the
    /// rollback's commit (Argo Rollouts' abort moves traffic the same way, before Git is touched). False, with nothing
    /// changed, when that cannot be done now: no warm revision, or one of its replicas is not ready.
    /// </summary>
    Task<bool> SwitchToWarmAsync(string environment, CancellationToken cancellationToken);

    /// <summary>
    /// Starts the replicas of the version a rollback returns to (<paramref name="manifests"/>, the files of
    /// <paramref name="revision"/>) ahead of the rollback's commit, when nothing of it runs: the sync that applies the
    /// commit then waits for them instead of starting them. Returns how many started; 0 when the backend leaves it to
    /// that sync (a cluster's own rollout, a strategy with its own warm copy, a ConfigMap the serving replicas would see change).
    /// </summary>
    Task<int> StartAheadAsync(EnvironmentManifests manifests, string revision, CancellationToken cancellationToken);
}

/// <summary>A revision kept warm for an instant rollback.</summary>
/// <param name="Revision">The config revision its replicas were started at: the rollback must restore exactly its files.</param>
public sealed record KeptWarm(string Revision, string Image);

/// <summary>What a backend reports about one environment.</summary>
/// <param name="Converged">Every desired replica runs the desired template and is ready; nothing stale is left.</param>
/// <param name="Problem">Why it is not converged (a replica that never became ready, a pull that failed...).</param>
/// <param name="Rollout">The progressive rollout (canary, ab-testing, blue-green) under way or last finished; null for none.</param>
public sealed record BackendState(
    string Environment,
    int ReplicasReady,
    int ReplicasDesired,
    string? ImageDigest,
    string? ConfigHash,
    int? Port,
    bool Converged,
    string? Problem,
    RolloutStatus? Rollout = null);
