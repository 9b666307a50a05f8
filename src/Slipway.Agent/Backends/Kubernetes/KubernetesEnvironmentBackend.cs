using Slipway.Delivery.Kubernetes;
using Slipway.Delivery.Manifests;
using KubernetesRollout = Slipway.Delivery.Kubernetes.RolloutStatus;
using Slipway.Delivery.Oci;

namespace Slipway.Agent.Backends.Kubernetes;

/// <summary>
/// Runs each environment in a Kubernetes namespace of the same name, through <see cref="KubernetesDeployer"/>: server-side
/// apply as field manager <c>slipway</c> (a conflict is reported, never forced), prune by inventory, rollout read from the
/// Deployment status, blue-green by Service selector and canary by replica ratio (or HTTPRoute weights). The cluster is
/// the state: every call reads it again, so an agent restart or a hand edit converges the same way.
/// </summary>
public sealed class KubernetesEnvironmentBackend(KubernetesDeployer deployer) : IEnvironmentBackend
{
    public string Name => "kubernetes";

    public IReadOnlyList<string> Check(EnvironmentManifests manifests) => manifests.Strategy switch
    {
        "rolling" or "blue-green" or "canary" => [],
        var other => [$"{SlipwayMetadata.EnvironmentFolder(manifests.Environment)}/{SlipwayMetadata.DeploymentFile}: strategy '{other}' " +
                      "is not run by the Kubernetes backend (it needs header-matching routes); use rolling, blue-green or canary there"],
    };

    public async Task<BackendState> ApplyAsync(EnvironmentManifests manifests, string revision, IProgress<BackendState>? progress, CancellationToken cancellationToken)
    {
        var environment = manifests.Environment;
        var rolloutProgress = progress is null
            ? null
            : new InlineProgress(rollout => progress.Report(new BackendState(environment, rollout.AvailableReplicas, rollout.DesiredReplicas,
                null, null, manifests.HostPort, Converged: false, rollout.Message)));
        await deployer.DeployAsync(manifests, rolloutProgress, cancellationToken).ConfigureAwait(false);
        return await GetStatusAsync(environment, cancellationToken).ConfigureAwait(false);
    }

    public async Task<BackendState> GetStatusAsync(string environment, CancellationToken cancellationToken)
    {
        var status = await deployer.GetEnvironmentStatusAsync(environment, cancellationToken).ConfigureAwait(false);
        return new BackendState(environment, status.ReplicasReady, status.ReplicasDesired, DigestOf(status.Image), status.ConfigHash,
            status.HostPort, status.Converged, status.Problem);
    }

    public Task PruneAsync(string environment, CancellationToken cancellationToken) =>
        deployer.RemoveEnvironmentAsync(environment, cancellationToken);

    /// <summary>The cluster keeps no revision warm here: a rollback goes through Git, and the Deployment rolls it out.</summary>
    public KeptWarm? KeptWarm(string environment) => null;

    public Task<bool> SwitchToWarmAsync(string environment, CancellationToken cancellationToken) => Task.FromResult(false);

    /// <summary>The Deployment's own rollout starts the pods when the commit is applied.</summary>
    public Task<int> StartAheadAsync(EnvironmentManifests manifests, string revision, CancellationToken cancellationToken) => Task.FromResult(0);

    /// <summary>The sha256:… part of repository@sha256:… (what the Docker backend and the status API report).</summary>
    static string? DigestOf(string? image) => ImageDigest.TryOf(image)?.Value;

    /// <summary>Reports synchronously, so the last report cannot overtake the final state (System.Progress posts to the pool).</summary>
    sealed class InlineProgress(Action<KubernetesRollout> report) : IProgress<KubernetesRollout>
    {
        public void Report(KubernetesRollout value) => report(value);
    }
}
