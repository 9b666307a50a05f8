using System.Collections.Concurrent;
using System.Diagnostics;
using Docker.DotNet;
using Docker.DotNet.Models;
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
/// 127.0.0.1 ports, the Service as the environment's stable port on the <see cref="EdgeRouter"/>, the ConfigMap
/// as a read-only bind mount. Every call reconciles from what Docker reports, so drift, crashes and an agent
/// restart mid-rollout all converge the same way.
/// </summary>
public sealed class DockerEnvironmentBackend : IEnvironmentBackend, IDisposable
{
    readonly DockerClient docker;
    readonly EdgeRouter router;
    readonly DockerBackendSettings settings;
    readonly ILogger logger;
    readonly HttpClient probeClient = new() { Timeout = Timeout.InfiniteTimeSpan };
    readonly ConfigMapFiles configFiles;
    readonly CanaryRollout canary;
    readonly ConcurrentDictionary<string, int> livenessFailures = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, WorkloadSpec> lastSpec = new(StringComparer.Ordinal);
    // Containers seen ready at least once: an unready one of those is only taken out of the router, never replaced.
    readonly ConcurrentDictionary<string, bool> seenReady = new(StringComparer.Ordinal);

    readonly RolloutServices? rollouts;
    BlueGreenRollout? blueGreen;

    /// <summary>For the rollout strategies' own checks (no timeout of its own: callers pass one).</summary>
    internal HttpClient ProbeClient => probeClient;

    /// <param name="rollouts">Gates, the Git revert of a failed rollout, and the blue-green state; null: progressive rollouts
    /// cannot revert Git (a failed revision is only refused here) and a rollout naming gates aborts.</param>
    public DockerEnvironmentBackend(DockerClient docker, EdgeRouter router, DockerBackendSettings settings, ILogger logger, RolloutServices? rollouts = null)
    {
        this.docker = docker;
        this.router = router;
        this.settings = settings;
        this.logger = logger;
        this.rollouts = rollouts;
        configFiles = new ConfigMapFiles(settings.ConfigRoot);
        canary = new CanaryRollout(this, router, new RolloutStore(settings.RolloutsDirectory ?? Path.Combine(settings.ConfigRoot, "..", "rollouts")),
            rollouts?.Rollback, rollouts?.Gates, logger);
    }

    internal DockerBackendSettings Settings => settings;

    void MarkReady(ManagedContainer container) => seenReady[container.Id] = true;

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

    public async Task<BackendState> ApplyAsync(EnvironmentManifests manifests, string revision, IProgress<BackendState>? progress, CancellationToken cancellationToken)
    {
        var spec = WorkloadSpec.From(manifests);
        if (manifests.Strategy is CanaryRollout.Canary or CanaryRollout.AbTesting)
            return await canary.ApplyAsync(spec, manifests, revision, progress, cancellationToken);
        await canary.RemoveAsync(spec, "the environment's strategy is no longer canary or ab-testing", cancellationToken);
        if (manifests.Strategy == "blue-green")
        {
            var (log, _) = await PrepareAsync(spec, cancellationToken);
            var services = rollouts ?? throw new InvalidOperationException("blue-green needs the rollout services (gates, Git revert, state); this backend was built without them");
            return await (blueGreen ??= new BlueGreenRollout(this, router, services, settings)).ApplyAsync(spec, manifests, revision, progress, log, cancellationToken);
        }
        return await ApplyRollingAsync(spec, revision, progress, cancellationToken);
    }

    /// <summary>What every strategy needs first: the image pulled, the ConfigMap written, strays and dead replicas removed.</summary>
    async Task<(ILogger Log, List<ManagedContainer> All)> PrepareAsync(WorkloadSpec spec, CancellationToken cancellationToken)
    {
        lastSpec[spec.Environment] = spec;
        var log = logger.ForContext("Environment", spec.Environment);
        await EnsureImageAsync(spec.Image, log, cancellationToken);
        foreach (var (name, data) in spec.ConfigMaps)
            if (configFiles.Write(spec.Environment, name, data))
                log.Information("ConfigMap {ConfigMap} written to {Directory} (config hash {Hash})", name, configFiles.DirectoryFor(spec.Environment, name), spec.ConfigHash[..12]);

        var all = (await ListAsync(spec.Environment, cancellationToken)).Where(c => !c.IsCanary).ToList();

        // What Git no longer has: another app in this environment.
        foreach (var stray in all.Where(c => c.App != spec.App))
            await RetireAsync(spec, stray, "its app is no longer in Git", log, cancellationToken);
        // Dead or never started (killed by hand, or created by an agent that died before starting it): replace.
        foreach (var dead in all.Where(c => c.App == spec.App && !c.IsRunning))
        {
            log.Warning("Replica {Container} is {State}; replacing it", dead.Name, dead.State);
            await RemoveContainerAsync(dead.Id, cancellationToken);
        }
        return (log, all);
    }

    /// <summary>The rolling update (also a canary's promotion): canary replicas are not its business and are left alone.</summary>
    internal async Task<BackendState> ApplyRollingAsync(WorkloadSpec spec, string revision, IProgress<BackendState>? progress, CancellationToken cancellationToken)
    {
        var (log, all) = await PrepareAsync(spec, cancellationToken);
        var running = all.Where(c => c.App == spec.App && c.IsRunning).ToList();
        var current = running.Where(c => c.TemplateHash == spec.TemplateHash).OrderBy(c => c.Replica).ToList();
        var old = running.Where(c => c.TemplateHash != spec.TemplateHash).OrderByDescending(c => c.Replica).ToList();

        // Readiness gates routing only: an unready replica leaves the router but is not replaced (as in Kubernetes);
        // one that never became ready since it started (within the readiness timeout) is a failed start and goes.
        var ready = new List<ManagedContainer>();
        var unready = new List<ManagedContainer>();
        foreach (var container in current)
            (await ProbeAsync(container, spec.Readiness, cancellationToken) ? ready : unready).Add(container);
        var oldReady = await ReadyAsync(spec, old, cancellationToken);
        await RouteAsync(spec, ready.Concat(oldReady), cancellationToken);
        BackendState State(bool converged, string? problem) => new(spec.Environment, ready.Count, spec.Replicas, spec.ImageDigest, spec.ConfigHash, spec.HostPort, converged, problem);

        foreach (var container in unready.Where(c => !seenReady.ContainsKey(c.Id)).ToList())
        {
            // Started by an agent that stopped mid-rollout, most likely: give it the rest of its readiness time.
            // Older than that and never seen ready here: kept out of the router, not replaced (as Kubernetes would).
            var remaining = settings.ReadinessTimeout - (DateTime.UtcNow - container.Created);
            if (remaining <= TimeSpan.Zero) continue;
            if (await WaitReadyAsync(spec, container, remaining, cancellationToken))
            {
                unready.Remove(container);
                ready.Add(container);
                await RouteAsync(spec, ready.Concat(oldReady), cancellationToken);
            }
            else
            {
                log.Warning("Replica {Container} did not become ready within {Seconds:0}s of its start; replacing it", container.Name, settings.ReadinessTimeout.TotalSeconds);
                unready.Remove(container);
                await RemoveContainerAsync(container.Id, cancellationToken);
            }
        }
        foreach (var container in ready) MarkReady(container);

        // Rolling update with a surge of one: a new replica is ready and routed before an old one leaves.
        while (ready.Count + unready.Count < spec.Replicas)
        {
            var taken = ready.Concat(unready).Select(c => c.Replica).ToHashSet();
            var replica = Enumerable.Range(0, int.MaxValue).First(i => !taken.Contains(i));
            progress?.Report(State(false, null));
            ManagedContainer created;
            try
            {
                created = await StartReplicaAsync(spec, revision, replica, log, cancellationToken);
            }
            catch (DockerApiException exception)
            {
                return State(false, $"Docker could not start replica {replica} of {spec.App}: {exception.ResponseBody?.Trim()}");
            }
            if (!await WaitReadyAsync(spec, created, settings.ReadinessTimeout, cancellationToken))
            {
                var logs = await TailLogsAsync(created.Id, cancellationToken);
                await RemoveContainerAsync(created.Id, cancellationToken);
                var problem = $"replica {created.Name} did not pass its readiness probe ({spec.Readiness.Path} on port {spec.Readiness.ContainerPort}) " +
                              $"within {settings.ReadinessTimeout.TotalSeconds:0}s; the previous replicas keep serving. Last log lines: {logs}";
                log.Error("Rollout stopped: {Problem}", problem);
                return State(false, problem);
            }
            ready.Add(created);
            MarkReady(created);
            await RouteAsync(spec, ready.Concat(oldReady), cancellationToken);
            log.Information("Replica {Container} ready and routed ({Ready}/{Desired})", created.Name, ready.Count, spec.Replicas);
            progress?.Report(State(false, null));
            if (old.Count > 0)
            {
                var leaving = old[0];
                old.RemoveAt(0);
                oldReady.Remove(leaving);
                await RetireAsync(spec, leaving, "replaced by the new template", log, cancellationToken, routed: ready.Concat(oldReady));
            }
        }
        foreach (var leaving in old.ToList())
        {
            oldReady.Remove(leaving);
            await RetireAsync(spec, leaving, "replaced by the new template", log, cancellationToken, routed: ready.Concat(oldReady));
        }
        // Scale down: unready replicas first, then the highest replica numbers.
        var surplus = ready.Count + unready.Count - spec.Replicas;
        foreach (var extra in unready.OrderByDescending(c => c.Replica).Concat(ready.OrderByDescending(c => c.Replica)).Take(Math.Max(0, surplus)).ToList())
        {
            ready.Remove(extra);
            unready.Remove(extra);
            await RetireAsync(spec, extra, "scaled down", log, cancellationToken, routed: ready);
        }
        if (unready.Count > 0)
            return State(false, $"{unready.Count} replica(s) fail their readiness probe ({string.Join(", ", unready.Select(c => c.Name))}); out of the router until ready");

        await CheckLivenessAsync(spec, ready, log, cancellationToken);
        return State(true, null);
    }

    public async Task<BackendState> GetStatusAsync(string environment, CancellationToken cancellationToken)
    {
        if (!lastSpec.TryGetValue(environment, out var spec))
            return new BackendState(environment, 0, 0, null, null, router.Port(environment), false, "nothing applied yet");
        var running = (await ListAsync(environment, cancellationToken)).Where(c => c.IsRunning && !c.IsCanary && c.TemplateHash == spec.TemplateHash).ToList();
        var ready = 0;
        foreach (var container in running)
            if (await ProbeAsync(container, spec.Readiness, cancellationToken)) ready++;
        return new BackendState(environment, ready, spec.Replicas, spec.ImageDigest, spec.ConfigHash, spec.HostPort,
            ready == spec.Replicas && running.Count == spec.Replicas, null);
    }

    public async Task PruneAsync(string environment, CancellationToken cancellationToken)
    {
        await router.RemoveAsync(environment);
        await router.RemoveAsync(BlueGreenRollout.PreviewRouterKey(environment));
        rollouts?.Store.Delete(environment);
        foreach (var container in await ListAsync(environment, cancellationToken))
        {
            logger.Information("Pruning {Container}: environment {Environment} is no longer in Git", container.Name, environment);
            await StopAndRemoveAsync(container.Id, cancellationToken);
        }
        configFiles.Delete(environment);
        canary.Forget(environment);
        lastSpec.TryRemove(environment, out _);
    }

    internal async Task<List<ManagedContainer>> ListAsync(string environment, CancellationToken cancellationToken)
    {
        var containers = await docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool>
                {
                    [$"{AgentLabels.Agent}={settings.Instance}"] = true,
                    [$"{AgentLabels.Environment}={environment}"] = true,
                },
            },
        }, cancellationToken);
        return containers.Select(ManagedContainer.From).ToList();
    }

    internal async Task EnsureImageAsync(string image, ILogger log, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Images.InspectImageAsync(image, cancellationToken);
            return;
        }
        catch (DockerImageNotFoundException)
        {
        }
        var at = image.IndexOf('@', StringComparison.Ordinal);
        log.Information("Pulling {Image}", image);
        var errors = new List<string>();
        await docker.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = image[..at], Tag = image[(at + 1)..] }, null,
            new Progress<JSONMessage>(m => { if (m.Error?.Message is { } message) errors.Add(message); }), cancellationToken);
        try
        {
            await docker.Images.InspectImageAsync(image, cancellationToken);
        }
        catch (DockerImageNotFoundException)
        {
            throw new InvalidOperationException($"Could not pull {image}: {string.Join("; ", errors)}. Push the image to that registry, or fix the digest in the config repo.");
        }
    }

    internal async Task<ManagedContainer> StartReplicaAsync(WorkloadSpec spec, string revision, int replica, ILogger log, CancellationToken cancellationToken,
        ReplicaTrack? track = null, IReadOnlyDictionary<string, string>? extraLabels = null)
    {
        var files = track?.ConfigFiles ?? configFiles;
        var name = $"{settings.Instance}-{spec.Environment}-{spec.App}-{spec.TemplateHash[..8]}-{(track is null ? "" : track.Name + "-")}{replica}";
        // A leftover with this name (created, never started, by an agent that died) would block the create.
        await RemoveByNameAsync(name, cancellationToken);
        var exposed = spec.ContainerPorts.ToDictionary(p => $"{p}/tcp", _ => new EmptyStruct());
        var parameters = new CreateContainerParameters
        {
            Name = name,
            Image = spec.Image,
            Env = spec.Env.ToList(),
            User = spec.User ?? "",
            ExposedPorts = exposed,
            Labels = new Dictionary<string, string>
            {
                [AgentLabels.Agent] = settings.Instance,
                [AgentLabels.Environment] = spec.Environment,
                [AgentLabels.App] = spec.App,
                [AgentLabels.Revision] = revision,
                [AgentLabels.TemplateHash] = spec.TemplateHash,
                [AgentLabels.Replica] = replica.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [AgentLabels.Image] = spec.Image,
                [ReplicaTrack.Label] = track?.Name ?? "",
            }.Concat(extraLabels ?? new Dictionary<string, string>()).ToDictionary(),
            HostConfig = new HostConfig
            {
                PortBindings = spec.ContainerPorts.ToDictionary(p => $"{p}/tcp",
                    _ => (IList<PortBinding>)[new PortBinding { HostIP = "127.0.0.1", HostPort = "" }]),
                Binds = spec.Mounts.Select(m => $"{files.DirectoryFor(spec.Environment, m.ConfigMapName)}:{m.MountPath}:ro").ToList(),
                Memory = spec.MemoryBytes ?? 0,
                NanoCPUs = spec.NanoCpus ?? 0,
                ReadonlyRootfs = spec.ReadOnlyRootFilesystem,
                // emptyDir volumes are tmpfs; a read-only root filesystem still gets a writable /tmp.
                Tmpfs = spec.ScratchDirectories.Concat(spec.ReadOnlyRootFilesystem ? ["/tmp"] : []).Distinct()
                    .ToDictionary(path => path, _ => $"rw,nosuid,nodev,size=64m,mode=1777"),
                SecurityOpt = spec.NoNewPrivileges ? ["no-new-privileges"] : null!,
                CapDrop = spec.DropAllCapabilities ? ["ALL"] : null!,
            },
        };
        var created = await docker.Containers.CreateContainerAsync(parameters, cancellationToken);
        await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
        log.Information("Started replica {Container} ({Image}, revision {Revision})", name, spec.Image, revision[..Math.Min(12, revision.Length)]);
        return (await ListByIdAsync(created.ID, cancellationToken))!;
    }

    async Task<ManagedContainer?> ListByIdAsync(string id, CancellationToken cancellationToken)
    {
        var containers = await docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["id"] = new Dictionary<string, bool> { [id] = true } },
        }, cancellationToken);
        return containers.Select(ManagedContainer.From).FirstOrDefault();
    }

    async Task RemoveByNameAsync(string name, CancellationToken cancellationToken)
    {
        var containers = await docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["name"] = new Dictionary<string, bool> { [$"^/{name}$"] = true },
                ["label"] = new Dictionary<string, bool> { [$"{AgentLabels.Agent}={settings.Instance}"] = true },
            },
        }, cancellationToken);
        foreach (var container in containers) await RemoveContainerAsync(container.ID, cancellationToken);
    }

    /// <summary>Out of the router first, a drain for in-flight requests, then a graceful stop.</summary>
    internal async Task RetireAsync(WorkloadSpec spec, ManagedContainer container, string reason, ILogger log, CancellationToken cancellationToken,
        IEnumerable<ManagedContainer>? routed = null)
    {
        var remaining = (routed ?? []).Where(c => c.Id != container.Id).ToList();
        if (router.Destinations(spec.Environment).Any(d => d.Id == container.Name))
        {
            await RouteAsync(spec, remaining, cancellationToken);
            await Task.Delay(settings.Drain, cancellationToken);
        }
        log.Information("Removing replica {Container}: {Reason}", container.Name, reason);
        await StopAndRemoveAsync(container.Id, cancellationToken);
        livenessFailures.TryRemove(container.Id, out _);
        seenReady.TryRemove(container.Id, out _);
    }

    /// <summary>Sets the environment's router (or the one named <paramref name="routerKey"/> on <paramref name="port"/>) to these containers.</summary>
    internal Task RouteAsync(WorkloadSpec spec, IEnumerable<ManagedContainer> containers, CancellationToken cancellationToken, string? routerKey = null, int? port = null)
    {
        var destinations = containers
            .Select(c => (c.Name, Address: c.Address(spec.TargetPort)))
            .Where(d => d.Address is not null)
            .Select(d => new RouteDestination(d.Name, d.Address!))
            .ToList();
        return router.SetAsync(routerKey ?? spec.Environment, port ?? spec.HostPort, spec.Readiness.Path, destinations, cancellationToken);
    }

    internal async Task<bool> WaitReadyAsync(WorkloadSpec spec, ManagedContainer container, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await ProbeAsync(container, spec.Readiness, cancellationToken)) return true;
            if (clock.Elapsed >= timeout) return false;
            var inspected = await ListByIdAsync(container.Id, cancellationToken);
            if (inspected is not { IsRunning: true }) return false;
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }

    /// <summary>The replicas among <paramref name="replicas"/> whose readiness probe answers now, in the given order.</summary>
    internal async Task<List<ManagedContainer>> ReadyAsync(WorkloadSpec spec, IEnumerable<ManagedContainer> replicas, CancellationToken cancellationToken)
    {
        var ready = new List<ManagedContainer>();
        foreach (var replica in replicas)
            if (await ProbeAsync(replica, spec.Readiness, cancellationToken))
                ready.Add(replica);
        return ready;
    }

    internal async Task<bool> ProbeAsync(ManagedContainer container, HttpProbe probe, CancellationToken cancellationToken)
    {
        var address = container.Address(probe.ContainerPort);
        if (address is null) return false;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(probe.Timeout < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : probe.Timeout);
        try
        {
            using var response = await probeClient.GetAsync(new Uri(address, probe.Path), timeout.Token);
            return (int)response.StatusCode is >= 200 and < 400;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>A replica failing its liveness probe on <c>failureThreshold</c> consecutive loops is restarted.</summary>
    internal async Task CheckLivenessAsync(WorkloadSpec spec, IReadOnlyList<ManagedContainer> ready, ILogger log, CancellationToken cancellationToken)
    {
        if (spec.Liveness is not { } liveness) return;
        foreach (var container in ready)
        {
            if (await ProbeAsync(container, liveness, cancellationToken))
            {
                livenessFailures.TryRemove(container.Id, out _);
                continue;
            }
            var failures = livenessFailures.AddOrUpdate(container.Id, 1, (_, n) => n + 1);
            if (failures < liveness.FailureThreshold) continue;
            log.Warning("Replica {Container} failed its liveness probe {Failures} times; restarting it", container.Name, failures);
            livenessFailures.TryRemove(container.Id, out _);
            await docker.Containers.RestartContainerAsync(container.Id, new ContainerRestartParameters { WaitBeforeKillSeconds = 10 }, cancellationToken);
        }
    }

    internal async Task<string> TailLogsAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            using var stream = await docker.Containers.GetContainerLogsAsync(id,
                new ContainerLogsParameters { ShowStdout = true, ShowStderr = true, Tail = "10" }, cancellationToken);
            var (stdout, stderr) = await stream.ReadOutputToEndAsync(cancellationToken);
            var text = (stdout + stderr).Trim();
            return text.Length == 0 ? "(none)" : text.Length > 1500 ? text[^1500..] : text;
        }
        catch (DockerApiException)
        {
            return "(unavailable)";
        }
    }

    internal async Task StopAndRemoveAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Containers.StopContainerAsync(id, new ContainerStopParameters { WaitBeforeKillSeconds = 10 }, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
            return;
        }
        await RemoveContainerAsync(id, cancellationToken);
    }

    internal async Task RemoveContainerAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true }, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
        }
    }

    public void Dispose()
    {
        probeClient.Dispose();
        canary.Dispose();
    }
}
