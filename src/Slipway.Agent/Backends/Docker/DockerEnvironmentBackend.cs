using Serilog;
using Slipway.Agent.Rollouts;
using Slipway.Agent.Routing;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.Manifests;

namespace Slipway.Agent.Backends.Docker;

/// <summary>Settings of the Docker backend.</summary>
/// <param name="Instance">Label value <c>slipway.agent</c> and container name prefix; separates agents sharing an engine.</param>
/// <param name="Drain">How long a replica taken out of the router keeps running for in-flight requests.</param>
/// <param name="ReadinessTimeout">How long a new replica may take to become ready before the rollout stops.</param>
/// <param name="RolloutsDirectory">Where progressive rollouts keep their progress (&lt;work-dir&gt;/rollouts), so a restarted agent resumes them.</param>
public sealed record DockerBackendSettings(string Instance, string ConfigRoot, TimeSpan Drain, TimeSpan ReadinessTimeout, string? RolloutsDirectory = null);

/// <summary>
/// Runs an environment on one Docker engine: a Deployment's replicas as labelled containers published on random
/// 127.0.0.1 ports, the Service as the environment's stable port on the router, the ConfigMap as a read-only bind
/// mount. Every call reconciles from what the engine reports, so drift, crashes and an agent restart mid-rollout all
/// converge the same way. The strategies (<see cref="RollingUpdate"/>, <see cref="CanaryRollout"/>,
/// <see cref="BlueGreenRollout"/>) share one <see cref="ReplicaControl"/> over the engine, router and probes, with its
/// <see cref="RollbackWindow"/> (replaced replicas kept warm for an instant rollback) and <see cref="ReplicaHealing"/>
/// (dead or long-unready replicas replaced between rollouts).
/// </summary>
public sealed class DockerEnvironmentBackend : IEnvironmentBackend, IDisposable
{
    readonly ITrafficRouter router;
    readonly ILogger logger;
    readonly ReplicaControl replicas;
    readonly RollingUpdate rolling;
    readonly CanaryRollout canary;
    readonly RolloutServices? rollouts;
    readonly BlueGreenRollout? blueGreen;
    readonly ReplicaHttp? ownedHttp;

    /// <summary>On a real Docker engine, probing replicas over HTTP, on the system clock.</summary>
    public DockerEnvironmentBackend(global::Docker.DotNet.DockerClient docker, ITrafficRouter router, DockerBackendSettings settings, ILogger logger, RolloutServices? rollouts = null)
        : this(new DockerContainerRuntime(docker), router, new ReplicaHttp(), TimeProvider.System, settings, logger, rollouts, ownsHttp: true)
    {
    }

    /// <param name="rollouts">Gates, the Git revert of a failed rollout, and the blue-green state; null: progressive rollouts
    /// cannot revert Git (a failed revision is only refused here) and a rollout naming gates aborts.</param>
    public DockerEnvironmentBackend(IContainerRuntime runtime, ITrafficRouter router, IReplicaHttp http, TimeProvider time, DockerBackendSettings settings,
        ILogger logger, RolloutServices? rollouts = null)
        : this(runtime, router, http, time, settings, logger, rollouts, ownsHttp: false)
    {
    }

    DockerEnvironmentBackend(IContainerRuntime runtime, ITrafficRouter router, IReplicaHttp http, TimeProvider time, DockerBackendSettings settings,
        ILogger logger, RolloutServices? rollouts, bool ownsHttp)
    {
        this.router = router;
        this.logger = logger;
        this.rollouts = rollouts;
        ownedHttp = ownsHttp ? http as ReplicaHttp : null;
        replicas = new ReplicaControl(runtime, router, http, time, settings, logger);
        rolling = new RollingUpdate(replicas);
        canary = new CanaryRollout(replicas, rolling, router, http, time,
            new RolloutStore(settings.RolloutsDirectory ?? Path.Combine(settings.ConfigRoot, "..", "rollouts")), rollouts?.Rollback, rollouts?.Gates, logger);
        blueGreen = rollouts is null ? null : new BlueGreenRollout(replicas, router, http, time, rollouts, settings);
    }

    public string Name => "docker";

    public IReadOnlyList<string> Check(EnvironmentManifests manifests)
    {
        try
        {
            WorkloadSpec.From(manifests);
            return [];
        }
        catch (FormatException exception)
        {
            return [exception.Message];
        }
    }

    /// <summary>
    /// What the environment's replicas run: under canary and ab-testing their version (template hash) covers the
    /// ConfigMap data too (<see cref="CanaryRollout.WithConfigInTemplateHash"/>). One place, so a sync and a rollback's
    /// replicas started ahead of it (<see cref="StartAheadAsync"/>) always agree on it.
    /// </summary>
    static WorkloadSpec SpecFor(EnvironmentManifests manifests)
    {
        var spec = WorkloadSpec.From(manifests);
        return manifests.Strategy is CanaryRollout.Canary or CanaryRollout.AbTesting ? CanaryRollout.WithConfigInTemplateHash(spec) : spec;
    }

    public async Task<BackendState> ApplyAsync(EnvironmentManifests manifests, string revision, IProgress<BackendState>? progress, CancellationToken cancellationToken)
    {
        var spec = SpecFor(manifests);
        if (manifests.Strategy is CanaryRollout.Canary or CanaryRollout.AbTesting)
            return await canary.ApplyAsync(spec, manifests, revision, progress, cancellationToken);
        await canary.RemoveAsync(spec, "the environment's strategy is no longer canary or ab-testing", cancellationToken);
        if (manifests.Strategy == "blue-green")
        {
            var (log, all) = await replicas.PrepareAsync(spec, cancellationToken);
            // Blue-green keeps its own warm colour (strategy.blueGreen.keepWarmSeconds): a rollback window from an
            // earlier strategy would only be mistaken for a colour.
            if (replicas.Window.Load(spec.Environment) is { } warm)
            {
                await replicas.RetireAllAsync(spec, all.Where(c => c.TemplateHash == warm.TemplateHash).ToList(), "blue-green keeps no rollback window", log, cancellationToken);
                replicas.Window.Forget(spec.Environment);
            }
            var strategy = blueGreen ?? throw new InvalidOperationException("blue-green needs the rollout services (gates, Git revert, state); this backend was built without them");
            return await strategy.ApplyAsync(spec, manifests, revision, progress, log, cancellationToken);
        }
        return await rolling.ApplyAsync(spec, revision, progress, cancellationToken);
    }

    public async Task<BackendState> GetStatusAsync(string environment, CancellationToken cancellationToken)
    {
        if (replicas.LastPrepared(environment) is not { } spec)
            return new BackendState(environment, 0, 0, null, null, router.Port(environment), false, "nothing applied yet");
        var running = (await replicas.ListAsync(environment, cancellationToken)).Where(c => c.IsRunning && !c.IsCanary && c.TemplateHash == spec.TemplateHash).ToList();
        var ready = (await replicas.ReadyAsync(spec, running, cancellationToken)).Count;
        return new BackendState(environment, ready, spec.Replicas, spec.ImageDigest, spec.ConfigHash, spec.HostPort,
            ready == spec.Replicas && running.Count == spec.Replicas, null);
    }

    public async Task PruneAsync(string environment, CancellationToken cancellationToken)
    {
        await router.RemoveAsync(environment);
        await router.RemoveAsync(BlueGreenRollout.PreviewRouterKey(environment));
        rollouts?.Store.Delete(environment);
        foreach (var container in await replicas.ListAsync(environment, cancellationToken))
        {
            logger.Information("Pruning {Container}: environment {Environment} is no longer in Git", container.Name, environment);
            await replicas.Runtime.StopAndRemoveAsync(container.Id, cancellationToken);
        }
        replicas.ConfigFiles.Delete(environment);
        canary.Forget(environment);
        replicas.Forget(environment);
    }

    public KeptWarm? KeptWarm(string environment) =>
        replicas.Window.Load(environment) is { Revision: { } revision } warm && replicas.Time.GetUtcNow() < warm.Until
            ? new KeptWarm(revision, warm.Image)
            : null;

    public Task<bool> SwitchToWarmAsync(string environment, CancellationToken cancellationToken) =>
        replicas.LastPrepared(environment) is { } current
            ? replicas.Window.SwitchFirstAsync(current, logger.ForContext("Environment", environment), cancellationToken)
            : Task.FromResult(false);

    public Task<int> StartAheadAsync(EnvironmentManifests manifests, string revision, CancellationToken cancellationToken)
    {
        // Blue-green keeps its own warm colour; the preview and the switch are its business.
        if (manifests.Strategy == "blue-green") return Task.FromResult(0);
        var spec = SpecFor(manifests);
        return replicas.Window.StartAheadAsync(spec, revision, logger.ForContext("Environment", spec.Environment), cancellationToken);
    }

    public void Dispose()
    {
        ownedHttp?.Dispose();
    }
}
