using Slipway.Delivery.AgentApi;

namespace Slipway.Agent.Backends.Docker;

/// <summary>
/// The rolling update (also a canary's promotion and a rollback): the missing replicas of the new template start
/// together and are routed once all are ready; then the old template's replicas leave the router, drain and stop.
/// A replica that fails to start stops the rollout with its reason while the previous replicas keep serving.
/// Canary replicas are not its business and are left alone.
/// </summary>
public sealed class RollingUpdate(ReplicaControl replicas)
{
    public async Task<BackendState> ApplyAsync(WorkloadSpec spec, string revision, IProgress<BackendState>? progress, CancellationToken cancellationToken)
    {
        var (log, all) = await replicas.PrepareAsync(spec, cancellationToken);
        var running = all.Where(c => c.App == spec.App && c.IsRunning).ToList();
        var current = running.Where(c => c.TemplateHash == spec.TemplateHash).OrderBy(c => c.Replica).ToList();
        var old = running.Where(c => c.TemplateHash != spec.TemplateHash).OrderByDescending(c => c.Replica).ToList();

        // Readiness gates routing only: an unready replica leaves the router but is not replaced (as in Kubernetes);
        // one that never became ready since it started (within the readiness timeout) is a failed start and goes.
        var ready = new List<ManagedContainer>();
        var unready = new List<ManagedContainer>();
        foreach (var container in current)
            (await replicas.ProbeAsync(container, spec.Readiness, cancellationToken) ? ready : unready).Add(container);
        var oldReady = await replicas.ReadyAsync(spec, old, cancellationToken);
        await replicas.RouteAsync(spec, ready.Concat(oldReady), cancellationToken);
        BackendState State(bool converged, string? problem) => new(spec.Environment, ready.Count, spec.Replicas, spec.ImageDigest, spec.ConfigHash, spec.HostPort, converged, problem);

        foreach (var container in unready.Where(c => !replicas.WasSeenReady(c)).ToList())
        {
            // Started by an agent that stopped mid-rollout, most likely: give it the rest of its readiness time.
            // Older than that and never seen ready here: kept out of the router, not replaced (as Kubernetes would).
            var remaining = replicas.Settings.ReadinessTimeout - (replicas.Time.GetUtcNow().UtcDateTime - container.Created);
            if (remaining <= TimeSpan.Zero) continue;
            if (await replicas.WaitReadyAsync(spec, container, remaining, cancellationToken))
            {
                unready.Remove(container);
                ready.Add(container);
                await replicas.RouteAsync(spec, ready.Concat(oldReady), cancellationToken);
            }
            else
            {
                log.Warning("Replica {Container} did not become ready within {Seconds:0}s of its start; replacing it", container.Name, replicas.Settings.ReadinessTimeout.TotalSeconds);
                unready.Remove(container);
                await replicas.Runtime.RemoveAsync(container.Id, cancellationToken);
            }
        }
        foreach (var container in ready) replicas.MarkReady(container);

        // Every missing replica starts at once; the old template keeps serving until all of them are ready and routed.
        var missing = ReplicaControl.FreeReplicaNumbers(ready.Concat(unready), spec.Replicas - ready.Count - unready.Count);
        if (missing.Count > 0)
        {
            progress?.Report(State(false, null));
            var starts = await replicas.StartReadyAsync(spec, revision, missing, spec.App, log, cancellationToken);
            ready.AddRange(starts.Where(s => s.Container is not null).Select(s => s.Container!));
            await replicas.RouteAsync(spec, ready.Concat(oldReady), cancellationToken);
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
        await replicas.RetireAllAsync(spec, old, "replaced by the new template", log, cancellationToken, routed: ready.Concat(oldReady));

        // Scale down: unready replicas first, then the highest replica numbers.
        var surplus = ready.Count + unready.Count - spec.Replicas;
        var extras = unready.OrderByDescending(c => c.Replica).Concat(ready.OrderByDescending(c => c.Replica)).Take(Math.Max(0, surplus)).ToList();
        foreach (var extra in extras)
        {
            ready.Remove(extra);
            unready.Remove(extra);
        }
        await replicas.RetireAllAsync(spec, extras, "scaled down", log, cancellationToken, routed: ready);
        if (unready.Count > 0)
            return State(false, $"{unready.Count} replica(s) fail their readiness probe ({string.Join(", ", unready.Select(c => c.Name))}); out of the router until ready");

        await replicas.CheckLivenessAsync(spec, ready, log, cancellationToken);
        return State(true, null);
    }
}
