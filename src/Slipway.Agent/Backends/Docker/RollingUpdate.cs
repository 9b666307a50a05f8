using Slipway.Delivery.AgentApi;

namespace Slipway.Agent.Backends.Docker;

/// <summary>
/// The rolling update (also a canary's promotion and a rollback): the missing replicas of the new template start
/// together and are routed alone, in one router update, once all are ready. The replaced replicas then stay warm out of
/// traffic for the environment's rollback window (<see cref="RollbackWindow"/>), or drain and stop when it is zero; a
/// rollback to a warm revision whose replicas are all ready is that one router update, with nothing to start.
/// A replica that fails to start stops the rollout with its reason while the previous replicas keep serving.
/// Between rollouts each loop heals the replicas (<see cref="ReplicaHealing"/>). Canary replicas are not its business.
/// </summary>
public sealed class RollingUpdate(ReplicaControl replicas)
{
    public async Task<BackendState> ApplyAsync(WorkloadSpec spec, string revision, IProgress<BackendState>? progress, CancellationToken cancellationToken)
    {
        var (log, all) = await replicas.PrepareAsync(spec, cancellationToken);
        var running = all.Where(c => c.App == spec.App && c.IsRunning).ToList();
        var (warm, removed) = await replicas.Window.PruneAsync(spec, running, log, cancellationToken);
        running = running.Except(removed).ToList();
        var current = running.Where(c => c.TemplateHash == spec.TemplateHash).OrderBy(c => c.Replica).ToList();
        var old = running.Where(c => c.TemplateHash != spec.TemplateHash).Except(warm).OrderByDescending(c => c.Replica).ToList();

        // Readiness gates routing only: an unready replica leaves the router (self-healing replaces it later);
        // one that never became ready since it started (within the readiness timeout) is a failed start and goes.
        var ready = await replicas.ReadyAsync(spec, current, cancellationToken);
        var unready = current.Except(ready).ToList();
        // With every replica of the desired template ready (a rollback to warm replicas), this is the switch: all
        // traffic moves in this one update and the old replicas stay warm. Otherwise (or with no rollback window, when
        // the old replicas are drained on their way out) the old template serves beside the new one until it is complete.
        List<ManagedContainer> oldReady = [];
        IEnumerable<ManagedContainer> Routed() => ready.Count >= spec.Replicas && spec.RollbackWindow > TimeSpan.Zero ? ready : ready.Concat(oldReady);
        // The switch needs nothing from the old replicas, so it goes first: probing them can cost a probe timeout (a
        // hung bad version), which an incident's rollback must not wait for.
        var switched = ready.Count >= spec.Replicas && spec.RollbackWindow > TimeSpan.Zero;
        if (switched) await replicas.RouteAsync(spec, Routed(), cancellationToken);
        oldReady = await replicas.ReadyAsync(spec, old, cancellationToken);
        if (!switched) await replicas.RouteAsync(spec, Routed(), cancellationToken);
        BackendState State(bool converged, string? problem) => new(spec.Environment, ready.Count, spec.Replicas, spec.ImageDigest, spec.ConfigHash, spec.HostPort, converged, problem);

        var starting = unready.Where(c => !replicas.WasSeenReady(c)).ToList();
        if (starting.Count > 0) progress?.Report(State(false, null));
        foreach (var container in starting)
        {
            // Started ahead of a rollback's commit (RollbackWindow.StartAheadAsync), or by an agent that stopped
            // mid-rollout: give it the rest of its readiness time, and route it as soon as it answers.
            var remaining = replicas.Settings.ReadinessTimeout - (replicas.Time.GetUtcNow().UtcDateTime - container.Created);
            if (remaining <= TimeSpan.Zero) continue;
            if (await replicas.WaitReadyAsync(spec, container, remaining, cancellationToken))
            {
                unready.Remove(container);
                ready.Add(container);
                await replicas.RouteAsync(spec, Routed(), cancellationToken);
                log.Information("Replica {Container}, started before this sync, ready and routed ({Ready}/{Desired})", container.Name, ready.Count, spec.Replicas);
            }
            else
            {
                log.Warning("Replica {Container} did not become ready within {Seconds:0}s of its start; replacing it", container.Name, replicas.Settings.ReadinessTimeout.TotalSeconds);
                unready.Remove(container);
                await replicas.Runtime.RemoveAsync(container.Id, cancellationToken);
            }
        }
        foreach (var container in ready) replicas.MarkReady(container);
        if (oldReady.Count > 0)
            // While the old template serves, an unready replica of the new one (a warm replica gone bad) would only
            // hold the switch back: it is started afresh with the missing ones.
            foreach (var container in unready.ToList())
            {
                log.Warning("Replica {Container} of the revision being rolled out is unready; starting a fresh one instead", container.Name);
                unready.Remove(container);
                await replicas.Runtime.RemoveAsync(container.Id, cancellationToken);
            }

        // Every missing replica starts at once; the old template keeps serving until all of them are ready and routed.
        var missing = ReplicaControl.FreeReplicaNumbers(ready.Concat(unready), spec.Replicas - ready.Count - unready.Count);
        if (missing.Count > 0)
        {
            progress?.Report(State(false, null));
            var starts = await replicas.StartReadyAsync(spec, revision, missing, spec.App, log, cancellationToken);
            ready.AddRange(starts.Where(s => s.Container is not null).Select(s => s.Container!));
            await replicas.RouteAsync(spec, Routed(), cancellationToken);
            if (starts.Where(s => s.Problem is not null).Select(s => s.Problem!).ToList() is { Count: > 0 } problems)
            {
                var problem = $"{string.Join("; ", problems)}. The previous replicas keep serving.";
                log.Error("Rollout stopped: {Problem}", problem);
                return State(false, problem);
            }
            log.Information("Replicas {Containers} ready and routed ({Ready}/{Desired})",
                string.Join(", ", starts.Select(s => s.Container!.Name)), ready.Count, spec.Replicas);
            progress?.Report(State(false, null));
        }
        if (old.Count > 0)
            await replicas.Window.SwitchAsync(spec, ready, old, warm, log, cancellationToken);

        // Scale down: unready replicas first, then the highest replica numbers.
        var surplus = ready.Count + unready.Count - spec.Replicas;
        var extras = unready.OrderByDescending(c => c.Replica).Concat(ready.OrderByDescending(c => c.Replica)).Take(Math.Max(0, surplus)).ToList();
        foreach (var extra in extras)
        {
            ready.Remove(extra);
            unready.Remove(extra);
        }
        await replicas.RetireAllAsync(spec, extras, "scaled down", log, cancellationToken, routed: ready);

        // Self-healing only between rollouts: this loop started nothing and replaced no revision.
        var healing = missing.Count == 0 && old.Count == 0 && extras.Count == 0
            ? await replicas.Healing.HealAsync(spec, revision, ready, unready, log, cancellationToken)
            : null;
        if (unready.Count > 0)
            return State(false, $"{unready.Count} replica(s) fail their readiness probe ({string.Join(", ", unready.Select(c => c.Name))}); out of the router until ready" +
                                (spec.ReplaceUnreadyAfter > TimeSpan.Zero ? $", replaced after {spec.ReplaceUnreadyAfter.TotalSeconds:0}s unready" : "") +
                                (healing is null ? "" : $". {healing}"));
        return State(healing is null, healing);
    }
}
