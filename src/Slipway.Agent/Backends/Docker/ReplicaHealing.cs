using System.Collections.Concurrent;

namespace Slipway.Agent.Backends.Docker;

/// <summary>
/// Self-healing of the replicas that serve an environment, checked on each sync loop while no rollout of it is under
/// way. A replica is replaced when its liveness probe (the readiness probe when the Deployment has none) fails
/// failureThreshold checks in a row — a hung process, or a <c>docker pause</c>, whose requests time out — or when it
/// stays unready longer than replaceUnreadyAfterSeconds. Replaced the safe way round: a new replica starts, becomes
/// ready and is routed; then the old one leaves the router, drains and stops. At most one replica per check, so a
/// fault they all share (a dependency down) never takes the whole revision away at once.
/// The counts live in memory: after an agent restart they start again from zero, which only delays a replacement.
/// </summary>
public sealed class ReplicaHealing(ReplicaControl replicas)
{
    /// <summary>What the checks so far say about one replica.</summary>
    sealed record Health(int LivenessFailures, DateTimeOffset? UnreadySince);

    readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, Health>> byEnvironment = new(StringComparer.Ordinal);

    /// <summary>
    /// Checks <paramref name="ready"/> (routed) and <paramref name="unready"/> (out of the router) and replaces at most
    /// one of them; both lists are updated to what serves afterwards. Returns why a replacement failed (the old replica
    /// is kept then), or null.
    /// </summary>
    public async Task<string?> HealAsync(WorkloadSpec spec, string revision, List<ManagedContainer> ready, List<ManagedContainer> unready, ILogger log,
        CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? extraLabels = null)
    {
        var now = replicas.Time.GetUtcNow();
        var probe = spec.LivenessOrReadiness;
        var checkedReplicas = ready.Concat(unready).ToList();
        // In parallel: a paused replica's probe costs its whole timeout, and should not delay the others'.
        var alive = await Task.WhenAll(checkedReplicas.Select(c => now.UtcDateTime - c.Created < probe.InitialDelay
            ? Task.FromResult(true)
            : replicas.ProbeAsync(c, probe, cancellationToken)));
        var before = byEnvironment.GetValueOrDefault(spec.Environment) ?? new Dictionary<string, Health>();
        var health = new Dictionary<string, Health>(StringComparer.Ordinal);
        for (var i = 0; i < checkedReplicas.Count; i++)
        {
            var replica = checkedReplicas[i];
            var previous = before.GetValueOrDefault(replica.Id) ?? new Health(0, null);
            var failures = alive[i] ? 0 : previous.LivenessFailures + 1;
            if (failures > 0)
                log.Warning("Replica {Container} failed its liveness probe ({Path} on port {Port}, {Timeout:0.#}s timeout): {Failures} of {Threshold} in a row",
                    replica.Name, probe.Path, probe.ContainerPort, probe.Timeout.TotalSeconds, failures, probe.FailureThreshold);
            health[replica.Id] = new Health(failures, ready.Contains(replica) ? null : previous.UnreadySince ?? now);
        }
        byEnvironment[spec.Environment] = health;

        var dead = checkedReplicas.FirstOrDefault(c => health[c.Id].LivenessFailures >= Math.Max(1, probe.FailureThreshold));
        if (dead is not null)
            return await ReplaceAsync(spec, revision, dead, $"its liveness probe {probe.Path} failed {health[dead.Id].LivenessFailures} checks in a row",
                ready, unready, log, cancellationToken, extraLabels);
        var stuck = spec.ReplaceUnreadyAfter <= TimeSpan.Zero
            ? null
            : unready.FirstOrDefault(c => now - health[c.Id].UnreadySince >= spec.ReplaceUnreadyAfter);
        if (stuck is not null)
            return await ReplaceAsync(spec, revision, stuck, $"unready for {(now - health[stuck.Id].UnreadySince!.Value).TotalSeconds:0}s " +
                $"(replaceUnreadyAfterSeconds {spec.ReplaceUnreadyAfter.TotalSeconds:0})", ready, unready, log, cancellationToken, extraLabels);
        return null;
    }

    public void Forget(string environment) => byEnvironment.TryRemove(environment, out _);

    async Task<string?> ReplaceAsync(WorkloadSpec spec, string revision, ManagedContainer victim, string reason, List<ManagedContainer> ready,
        List<ManagedContainer> unready, ILogger log, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? extraLabels)
    {
        log.Warning("Replacing replica {Container}: {Reason}", victim.Name, reason);
        var start = (await replicas.StartReadyAsync(spec, revision, ReplicaControl.FreeReplicaNumbers(ready.Concat(unready), 1),
            $"the replacement for {victim.Name}", log, cancellationToken, extraLabels: extraLabels))[0];
        if (start.Container is not { } fresh)
        {
            log.Error("Replacing {Container} failed; it stays: {Problem}", victim.Name, start.Problem);
            return $"{victim.Name} should be replaced ({reason}), but its replacement failed: {start.Problem}";
        }
        var wasRouted = ready.Remove(victim);
        unready.Remove(victim);
        ready.Add(fresh);
        // Routed, the victim leaves in the same router update that adds the fresh replica, and drains; unrouted, it just stops.
        if (!wasRouted) await replicas.RouteAsync(spec, ready, cancellationToken);
        await replicas.RetireAsync(spec, victim, reason, log, cancellationToken, routed: ready);
        if (byEnvironment.TryGetValue(spec.Environment, out var health))
            byEnvironment[spec.Environment] = health.Where(h => h.Key != victim.Id).ToDictionary(StringComparer.Ordinal);
        log.Information("Replica {Container} replaced {Old}", fresh.Name, victim.Name);
        return null;
    }
}
