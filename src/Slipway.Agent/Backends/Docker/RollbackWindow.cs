using Slipway.Agent.Rollouts;

namespace Slipway.Agent.Backends.Docker;

/// <summary>The revision a rollout replaced, kept running out of traffic until <see cref="Until"/>.</summary>
/// <param name="TemplateHash">Its replicas' template label (the strategy's version hash).</param>
/// <param name="Revision">The config revision its replicas were started at (their revision label); null in a record
/// written before it was kept.</param>
/// <param name="Replicas">How many replicas were kept warm.</param>
public sealed record WarmRevision(string TemplateHash, string Image, DateTimeOffset Until, string? Revision = null, int Replicas = 0);

/// <summary>
/// The rollback window of rolling and canary environments (Argo Rollouts' scaleDownDelaySeconds): when a rollout
/// replaces a revision, that revision's replicas leave the router but keep running for the environment's
/// rollbackWindowSeconds, so a rollback to it within that time is one router update, with nothing to start. At most
/// one revision is kept warm: the one that served last before the current one. The window's end is kept on disk
/// (&lt;rollouts&gt;/&lt;env&gt;.warm.json) and the replicas are found again by their template label, so a restarted
/// agent still switches to them, and still removes them once the window is over. Warm replicas mount the environment's
/// ConfigMap folder like the serving ones (it is written in place); a rollback writes its own ConfigMap back before it
/// switches (<see cref="ReplicaControl.PrepareAsync"/>).
/// </summary>
public sealed class RollbackWindow(ReplicaControl replicas, RolloutStore store)
{
    static string Key(string environment) => environment + ".warm";

    /// <summary>The revision kept warm in <paramref name="environment"/>, if any (its window may be over: <see cref="PruneAsync"/> decides).</summary>
    public WarmRevision? Load(string environment) => store.Load<WarmRevision>(Key(environment));

    public void Forget(string environment) => store.Delete(Key(environment));

    /// <summary>
    /// Settles the warm revision before a strategy looks at the replicas: returns the replicas still kept warm (the
    /// strategy leaves them alone) and those it removed (no longer there to replace or keep). The warm revision's
    /// window is over, or its replicas are gone: they are removed and it is forgotten. It is the desired revision again
    /// (a rollback): it is forgotten, and its replicas are the environment's own again.
    /// </summary>
    public async Task<(IReadOnlyList<ManagedContainer> Kept, IReadOnlyList<ManagedContainer> Removed)> PruneAsync(WorkloadSpec spec,
        IReadOnlyList<ManagedContainer> running, ILogger log, CancellationToken cancellationToken)
    {
        if (Load(spec.Environment) is not { } warm) return ([], []);
        var kept = running.Where(c => c.TemplateHash == warm.TemplateHash).ToList();
        if (warm.TemplateHash == spec.TemplateHash)
        {
            if (kept.Count > 0)
                log.Information("Rolling back to the warm revision ({Image}): its {Count} running replicas serve again", warm.Image, kept.Count);
            Forget(spec.Environment);
            return ([], []);
        }
        if (kept.Count > 0 && replicas.Time.GetUtcNow() < warm.Until) return (kept, []);
        // Out of the router since the switch: nothing to drain.
        await replicas.RetireAllAsync(spec, kept, $"the rollback window of {warm.Image} ended at {warm.Until:u}", log, cancellationToken);
        Forget(spec.Environment);
        return ([], kept);
    }

    /// <summary>
    /// The instant rollback, before Git has it: all traffic to the warm revision's replicas in one router update, when
    /// the window is open and every replica kept warm runs and answers its readiness probe; false, with nothing changed,
    /// otherwise. The sync that applies the rollback's commit then finds them serving (<see cref="PruneAsync"/>); a
    /// commit that never comes leaves Git's revision to move traffic back at the next sync.
    /// </summary>
    /// <param name="current">The spec the environment was last prepared for: its port and readiness probe.</param>
    public async Task<bool> SwitchFirstAsync(WorkloadSpec current, ILogger log, CancellationToken cancellationToken)
    {
        if (Load(current.Environment) is not { } warm || replicas.Time.GetUtcNow() >= warm.Until) return false;
        var kept = (await replicas.ListAsync(current.Environment, cancellationToken))
            .Where(c => c.IsRunning && !c.IsCanary && c.TemplateHash == warm.TemplateHash).ToList();
        if (kept.Count == 0 || kept.Count < warm.Replicas) return false;
        var ready = await replicas.ReadyAsync(current, kept, cancellationToken);
        if (ready.Count < kept.Count) return false;
        await replicas.RouteAsync(current, ready, cancellationToken);
        log.Information("Rolled back to the warm revision ({Image}) ahead of its commit: its {Count} replicas serve all traffic", warm.Image, ready.Count);
        return true;
    }

    /// <summary>
    /// A rollback outside the window, started ahead of its commit: every replica of <paramref name="spec"/> (the version
    /// the rollback returns to) is created and started at once, not awaited, as the environment's warm revision. While
    /// the commit is made and fetched, a sync of the older head leaves them alone as it leaves any warm revision alone;
    /// the sync that applies the commit finds the warm revision desired again (<see cref="PruneAsync"/>) and the rolling
    /// update adopts them, routing each as it becomes ready, so the rollback does not wait for the commit to start them.
    /// A commit that never comes leaves them warm until the window ends, like any replaced revision. Nothing is started
    /// when a replica of the template exists already (kept warm, or a sync came first), or when a ConfigMap it mounts
    /// differs from the environment's folder, which the serving replicas read in place. Returns how many started.
    /// </summary>
    /// <param name="revision">The config revision whose files the rollback restores (the replicas' revision label).</param>
    public async Task<int> StartAheadAsync(WorkloadSpec spec, string revision, ILogger log, CancellationToken cancellationToken)
    {
        if (spec.ConfigMaps.FirstOrDefault(c => !replicas.ConfigFiles.Holds(spec.Environment, c.Key, c.Value)) is { Key: { } differing })
        {
            log.Information("The replicas of {Image} are not started ahead of the rollback's commit: its ConfigMap {ConfigMap} differs from the one the serving replicas mount",
                spec.Image, differing);
            return 0;
        }
        if ((await replicas.ListAsync(spec.Environment, cancellationToken)).Any(c => c.TemplateHash == spec.TemplateHash)) return 0;
        await replicas.Runtime.EnsureImageAsync(spec.Image, log, cancellationToken);
        // Recorded first: an agent that stops midway finds them warm, not strays of no revision.
        var window = spec.RollbackWindow > replicas.Settings.ReadinessTimeout ? spec.RollbackWindow : replicas.Settings.ReadinessTimeout;
        store.Save(Key(spec.Environment), new WarmRevision(spec.TemplateHash, spec.Image, replicas.Time.GetUtcNow() + window, revision, spec.Replicas));
        log.Information("Starting {Count} replicas of {Image} ahead of the rollback's commit", spec.Replicas, spec.Image);
        var starts = await Task.WhenAll(Enumerable.Range(0, spec.Replicas).Select(async replica =>
        {
            try
            {
                await replicas.StartReplicaAsync(spec, revision, replica, log, cancellationToken);
                return 1;
            }
            catch (ContainerRuntimeException exception)
            {
                // The sync that applies the commit starts it again, and reports what stops it.
                log.Warning("Replica {Replica} of {Image} did not start ahead of the rollback's commit: {Error}", replica, spec.Image, exception.Message);
                return 0;
            }
        }));
        return starts.Sum();
    }

    /// <summary>
    /// The switch: <paramref name="serving"/> alone in the router (one update). The replaced replicas stay warm for
    /// the environment's window, or, when it is zero, drain and stop. Of several replaced templates (an interrupted
    /// rollout), the one with the most replicas is kept; the others stop, and so does a revision kept warm before.
    /// </summary>
    public async Task SwitchAsync(WorkloadSpec spec, IReadOnlyCollection<ManagedContainer> serving, IReadOnlyCollection<ManagedContainer> replaced,
        IReadOnlyCollection<ManagedContainer> warmBefore, ILogger log, CancellationToken cancellationToken)
    {
        await replicas.RetireAllAsync(spec, warmBefore, "a newer revision replaces it in the rollback window", log, cancellationToken);
        if (spec.RollbackWindow <= TimeSpan.Zero)
        {
            Forget(spec.Environment);
            await replicas.RetireAllAsync(spec, replaced, "replaced by the new template", log, cancellationToken, routed: serving);
            await replicas.RouteAsync(spec, serving, cancellationToken);
            return;
        }
        await replicas.RouteAsync(spec, serving, cancellationToken);
        var keep = replaced.GroupBy(c => c.TemplateHash)
            .OrderByDescending(g => g.Count()).ThenByDescending(g => g.Max(c => c.Created))
            .FirstOrDefault()?.ToList() ?? [];
        await replicas.RetireAllAsync(spec, replaced.Except(keep).ToList(), "replaced by the new template (older than the revision kept warm)", log, cancellationToken);
        if (keep.Count == 0)
        {
            Forget(spec.Environment);
            return;
        }
        var image = keep.Select(c => c.Image).FirstOrDefault(i => i.Length > 0) ?? keep[0].TemplateHash;
        var warm = new WarmRevision(keep[0].TemplateHash, image, replicas.Time.GetUtcNow() + spec.RollbackWindow,
            keep.Select(c => c.Revision).FirstOrDefault(r => r.Length > 0), keep.Count);
        store.Save(Key(spec.Environment), warm);
        log.Information("Keeping {Count} replicas of {Image} warm out of traffic until {Until:u} (rollbackWindowSeconds {Seconds:0}): a rollback to it switches at once",
            keep.Count, image, warm.Until, spec.RollbackWindow.TotalSeconds);
    }
}
