using System.Collections.Concurrent;
using System.Globalization;
using Slipway.Agent.Rollouts;
using Slipway.Agent.Routing;
using Slipway.Delivery.AgentApi;

namespace Slipway.Agent.Backends.Docker;

/// <summary>A replica started and ready, or why not (the failed container is already removed).</summary>
public sealed record ReplicaStart(int Replica, ManagedContainer? Container, string? Problem);

/// <summary>
/// What every strategy of the Docker backend does to replica containers: list them by label, start them (several at
/// once) and wait for readiness, probe them, route them, and retire them (out of the router, drained, stopped).
/// Everything goes through <see cref="IContainerRuntime"/>, <see cref="ITrafficRouter"/> and <see cref="IReplicaHttp"/>,
/// and every wait through <see cref="TimeProvider"/>, so the fast tests run it on fakes and fake time.
/// </summary>
public sealed class ReplicaControl(
    IContainerRuntime runtime, ITrafficRouter router, IReplicaHttp http, TimeProvider time, DockerBackendSettings settings, ILogger logger)
{
    // A starting replica is probed often (a refused connection costs nothing); the engine is asked whether it still runs
    // only once a second, since each inspect is work for the engine that is starting the other replicas at the same time.
    static readonly TimeSpan ReadinessPollInterval = TimeSpan.FromMilliseconds(100);
    static readonly TimeSpan RunningCheckInterval = TimeSpan.FromSeconds(1);

    // Containers seen ready at least once: an unready one of those is only taken out of the router, never replaced.
    readonly ConcurrentDictionary<string, bool> seenReady = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, WorkloadSpec> lastPrepared = new(StringComparer.Ordinal);

    public ConfigMapFiles ConfigFiles { get; } = new(settings.ConfigRoot);

    /// <summary>The replicas a rollout replaced, kept warm for an instant rollback (rolling and canary).</summary>
    public RollbackWindow Window => LazyInitializer.EnsureInitialized(ref window,
        () => new RollbackWindow(this, new RolloutStore(settings.RolloutsDirectory ?? Path.Combine(settings.ConfigRoot, "..", "rollouts"))));

    /// <summary>Replaces a replica that failed its liveness probe or stayed unready too long.</summary>
    public ReplicaHealing Healing => LazyInitializer.EnsureInitialized(ref healing, () => new ReplicaHealing(this));

    RollbackWindow? window;
    ReplicaHealing? healing;
    public DockerBackendSettings Settings => settings;
    public TimeProvider Time => time;
    public IContainerRuntime Runtime => runtime;

    public void MarkReady(ManagedContainer container) => seenReady[container.Id] = true;

    public bool WasSeenReady(ManagedContainer container) => seenReady.ContainsKey(container.Id);

    /// <summary>The spec the environment's own replicas were last prepared for (what its status is measured against).</summary>
    public WorkloadSpec? LastPrepared(string environment) => lastPrepared.GetValueOrDefault(environment);

    public void Forget(string environment)
    {
        lastPrepared.TryRemove(environment, out _);
        Window.Forget(environment);
        Healing.Forget(environment);
    }

    /// <summary>What every strategy needs first: the image pulled, the ConfigMap written, strays and dead replicas removed.</summary>
    public async Task<(ILogger Log, List<ManagedContainer> All)> PrepareAsync(WorkloadSpec spec, CancellationToken cancellationToken)
    {
        lastPrepared[spec.Environment] = spec;
        var log = logger.ForContext("Environment", spec.Environment);
        await runtime.EnsureImageAsync(spec.Image, log, cancellationToken);
        foreach (var (name, data) in spec.ConfigMaps)
            if (ConfigFiles.Write(spec.Environment, name, data))
                log.Information("ConfigMap {ConfigMap} written to {Directory} (config hash {Hash})", name, ConfigFiles.DirectoryFor(spec.Environment, name), spec.ConfigHash[..12]);

        var all = (await ListAsync(spec.Environment, cancellationToken)).Where(c => !c.IsCanary).ToList();

        // What Git no longer has: another app in this environment.
        foreach (var stray in all.Where(c => c.App != spec.App))
            await RetireAsync(spec, stray, "its app is no longer in Git", log, cancellationToken);
        // Dead or never started (killed by hand, or created by an agent that died before starting it): replace.
        foreach (var dead in all.Where(c => c.App == spec.App && !c.IsRunning))
        {
            log.Warning("Replica {Container} is {State}; replacing it", dead.Name, dead.State);
            await runtime.RemoveAsync(dead.Id, cancellationToken);
        }
        return (log, all);
    }

    /// <summary>This agent's containers of <paramref name="environment"/>.</summary>
    public Task<IReadOnlyList<ManagedContainer>> ListAsync(string environment, CancellationToken cancellationToken) =>
        runtime.ListAsync(new Dictionary<string, string> { [AgentLabels.Agent] = settings.Instance, [AgentLabels.Environment] = environment }, null, cancellationToken);

    /// <summary>
    /// Starts the given replica numbers all at once (create, start, wait for readiness in parallel): a revision's start
    /// takes as long as its slowest replica, not the sum. A replica that fails is removed, with its reason.
    /// </summary>
    public async Task<IReadOnlyList<ReplicaStart>> StartReadyAsync(WorkloadSpec spec, string revision, IEnumerable<int> replicas, string description, ILogger log,
        CancellationToken cancellationToken, ReplicaTrack? track = null, IReadOnlyDictionary<string, string>? extraLabels = null)
    {
        async Task<ReplicaStart> StartOneAsync(int replica)
        {
            ManagedContainer created;
            try
            {
                created = await StartReplicaAsync(spec, revision, replica, log, cancellationToken, track, extraLabels);
            }
            catch (ContainerRuntimeException exception)
            {
                return new ReplicaStart(replica, null, $"Docker could not start replica {replica} of {description}: {exception.Message}");
            }
            if (await WaitReadyAsync(spec, created, settings.ReadinessTimeout, cancellationToken))
            {
                MarkReady(created);
                return new ReplicaStart(replica, created, null);
            }
            var logs = await runtime.TailLogsAsync(created.Id, cancellationToken);
            await runtime.RemoveAsync(created.Id, cancellationToken);
            return new ReplicaStart(replica, null,
                $"replica {created.Name} of {description} did not pass its readiness probe ({spec.Readiness.Path} on port {spec.Readiness.ContainerPort}) " +
                $"within {settings.ReadinessTimeout.TotalSeconds:0}s. Last log lines: {logs}");
        }
        return await Task.WhenAll(replicas.Select(StartOneAsync));
    }

    /// <summary>The lowest <paramref name="count"/> replica numbers not in <paramref name="taken"/>.</summary>
    public static IReadOnlyList<int> FreeReplicaNumbers(IEnumerable<ManagedContainer> taken, int count)
    {
        var used = taken.Select(c => c.Replica).ToHashSet();
        return Enumerable.Range(0, int.MaxValue).Where(i => !used.Contains(i)).Take(Math.Max(0, count)).ToList();
    }

    public async Task<ManagedContainer> StartReplicaAsync(WorkloadSpec spec, string revision, int replica, ILogger log, CancellationToken cancellationToken,
        ReplicaTrack? track = null, IReadOnlyDictionary<string, string>? extraLabels = null)
    {
        var files = track?.ConfigFiles ?? ConfigFiles;
        var name = $"{settings.Instance}-{spec.Environment}-{spec.App}-{spec.TemplateHash[..8]}-{(track is null ? "" : track.Name + "-")}{replica}";
        // A leftover with this name (created, never started, by an agent that died) would block the create.
        foreach (var leftover in await runtime.ListAsync(new Dictionary<string, string> { [AgentLabels.Agent] = settings.Instance }, name, cancellationToken))
            await runtime.RemoveAsync(leftover.Id, cancellationToken);
        var labels = new Dictionary<string, string>
        {
            [AgentLabels.Agent] = settings.Instance,
            [AgentLabels.Environment] = spec.Environment,
            [AgentLabels.App] = spec.App,
            [AgentLabels.Revision] = revision,
            [AgentLabels.TemplateHash] = spec.TemplateHash,
            [AgentLabels.Replica] = replica.ToString(CultureInfo.InvariantCulture),
            [AgentLabels.Image] = spec.Image,
            [ReplicaTrack.Label] = track?.Name ?? "",
        };
        foreach (var (key, value) in extraLabels ?? new Dictionary<string, string>()) labels[key] = value;
        var definition = new ContainerDefinition(
            name, spec.Image, spec.Env, spec.User, labels, spec.ContainerPorts,
            spec.Mounts.Select(m => $"{files.DirectoryFor(spec.Environment, m.ConfigMapName)}:{m.MountPath}:ro").ToList(),
            // emptyDir volumes are tmpfs; a read-only root filesystem still gets a writable /tmp.
            spec.ScratchDirectories.Concat(spec.ReadOnlyRootFilesystem ? ["/tmp"] : []).Distinct().ToList(),
            spec.MemoryBytes, spec.NanoCpus, spec.ReadOnlyRootFilesystem, spec.NoNewPrivileges, spec.DropAllCapabilities);
        var started = await runtime.CreateAndStartAsync(definition, cancellationToken);
        log.Information("Started replica {Container} ({Image}, revision {Revision})", name, spec.Image, revision[..Math.Min(12, revision.Length)]);
        return started;
    }

    /// <summary>Out of the router first, a drain for in-flight requests, then a graceful stop.</summary>
    public Task RetireAsync(WorkloadSpec spec, ManagedContainer container, string reason, ILogger log, CancellationToken cancellationToken,
        IEnumerable<ManagedContainer>? routed = null) =>
        RetireAllAsync(spec, [container], reason, log, cancellationToken, routed);

    /// <summary>Several replicas out of the router in one update and drained once, then stopped.</summary>
    public async Task RetireAllAsync(WorkloadSpec spec, IReadOnlyCollection<ManagedContainer> containers, string reason, ILogger log, CancellationToken cancellationToken,
        IEnumerable<ManagedContainer>? routed = null)
    {
        if (containers.Count == 0) return;
        var leaving = containers.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        var names = containers.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        if (router.Destinations(spec.Environment).Any(d => names.Contains(d.Id)))
        {
            await RouteAsync(spec, (routed ?? []).Where(c => !leaving.Contains(c.Id)), cancellationToken);
            await Task.Delay(settings.Drain, time, cancellationToken);
        }
        foreach (var container in containers)
        {
            log.Information("Removing replica {Container}: {Reason}", container.Name, reason);
            await runtime.StopAndRemoveAsync(container.Id, cancellationToken);
            seenReady.TryRemove(container.Id, out _);
        }
    }

    /// <summary>Sets the environment's router (or the one named <paramref name="routerKey"/> on <paramref name="port"/>) to these containers.</summary>
    public Task RouteAsync(WorkloadSpec spec, IEnumerable<ManagedContainer> containers, CancellationToken cancellationToken, string? routerKey = null, int? port = null) =>
        router.SetAsync(routerKey ?? spec.Environment, port ?? spec.HostPort, spec.Readiness.Path, Destinations(spec, containers), cancellationToken);

    public static List<RouteDestination> Destinations(WorkloadSpec spec, IEnumerable<ManagedContainer> containers) => containers
        .Select(c => (c.Name, Address: c.Address(spec.TargetPort)))
        .Where(d => d.Address is not null)
        .Select(d => new RouteDestination(d.Name, d.Address!))
        .ToList();

    public async Task<bool> WaitReadyAsync(WorkloadSpec spec, ManagedContainer container, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + timeout;
        var nextRunningCheck = time.GetUtcNow();
        while (true)
        {
            if (await ProbeAsync(container, spec.Readiness, cancellationToken)) return true;
            var now = time.GetUtcNow();
            if (now >= deadline) return false;
            if (now >= nextRunningCheck)
            {
                // A replica that exited fails its start now, not at the readiness timeout.
                if (await runtime.InspectAsync(container.Id, cancellationToken) is not { IsRunning: true }) return false;
                nextRunningCheck = now + RunningCheckInterval;
            }
            await Task.Delay(ReadinessPollInterval, time, cancellationToken);
        }
    }

    /// <summary>The replicas among <paramref name="replicas"/> whose readiness probe answers now, in the given order.</summary>
    /// <remarks>Probed in parallel: a replica that does not answer (paused, hung) costs one probe timeout, not one each.</remarks>
    public async Task<List<ManagedContainer>> ReadyAsync(WorkloadSpec spec, IEnumerable<ManagedContainer> replicas, CancellationToken cancellationToken)
    {
        var candidates = replicas.ToList();
        var answers = await Task.WhenAll(candidates.Select(replica => ProbeAsync(replica, spec.Readiness, cancellationToken)));
        return candidates.Where((_, i) => answers[i]).ToList();
    }

    public async Task<bool> ProbeAsync(ManagedContainer container, HttpProbe probe, CancellationToken cancellationToken)
    {
        var address = container.Address(probe.ContainerPort);
        if (address is null) return false;
        var timeout = probe.Timeout < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : probe.Timeout;
        var answer = await http.GetAsync(new Uri(address, probe.Path), timeout, null, cancellationToken);
        return answer.StatusCode is >= 200 and < 400;
    }
}
