using System.Diagnostics;
using Serilog;
using Slipway.Agent.Rollouts;
using Slipway.Agent.Routing;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.Analysis;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Oci;

namespace Slipway.Agent.Backends.Docker;

/// <summary>
/// The canary and ab-testing strategies on the Docker backend. The stable replicas keep running; the new template
/// starts as canary replicas (their own ConfigMap folder, label slipway.track=canary); gates run; then per step the
/// router sends the step's weight (canary) or the audience (ab-testing) to the canary while the agent adds synthetic
/// load and judges the window from both versions' /metrics. A failed window moves all traffic back to stable at once,
/// removes the canary and reverts the commit in Git; all steps passed promote the new template by a rolling update.
/// Canary replicas: max(1, ceil(replicas × the last step's weight)) for a canary, 1 for an A/B test, all started before
/// the first step (the router's weight, not the replica count, sets the traffic share).
/// Progress lives in <see cref="RolloutStore"/>: a restarted agent resumes at the step it was in (the window starts
/// again); an aborted version is not tried again until the environment has run another one. A newer revision that arrives mid-canary waits
/// until this one has finished (promoted or aborted): the sync loop applies one revision at a time.
/// </summary>
public sealed class CanaryRollout(
    ReplicaControl replicas, RollingUpdate rolling, ITrafficRouter router, IReplicaHttp http, TimeProvider time, RolloutStore store,
    IRollbackCommitter? rollback, GateRunner? gates, ILogger logger)
{
    public const string Canary = "canary";
    public const string AbTesting = "ab-testing";
    /// <summary>Where the replicas expose Prometheus metrics (Beacon, and prometheus-net's default).</summary>
    public const string MetricsPath = "/metrics";

    static readonly IReadOnlyList<CanaryStep> DefaultSteps = [new(10, 10), new(25, 10), new(50, 10)];

    /// <summary>How often a window's metrics are read to see whether it already holds its minimum sample.</summary>
    public static readonly TimeSpan SamplePollInterval = TimeSpan.FromSeconds(1);

    static readonly TimeSpan ReplicaRequestTimeout = TimeSpan.FromSeconds(10);

    readonly ConfigMapFiles canaryFiles = new(Path.Combine(replicas.Settings.ConfigRoot, ".canary"));

    ReplicaTrack Track => new(ReplicaTrack.CanaryName, canaryFiles);

    sealed record Step(int Weight, int WindowSeconds);

    sealed record Plan(IReadOnlyList<Step> Steps, AudienceMatch? Audience, int CanaryReplicas);

    /// <summary>Where an ongoing rollout stands: the replicas of both versions, ready and routed.</summary>
    sealed record Sets(List<ManagedContainer> Stable, List<ManagedContainer> Canary)
    {
        public string StableImage => Stable.Select(c => c.Image).FirstOrDefault(i => i.Length > 0) ?? "";
    }

    /// <param name="spec">With the ConfigMap data in its template hash (<see cref="WithConfigInTemplateHash"/>), as the backend gives it.</param>
    public async Task<BackendState> ApplyAsync(WorkloadSpec spec, EnvironmentManifests manifests, string revision, IProgress<BackendState>? progress,
        CancellationToken cancellationToken)
    {
        if (manifests.IsRollback)
        {
            // A rollback restores a version known to be good: rolled out at once, not canaried against the bad one
            // (Argo Rollouts' rollback window). Its replicas carry the same version hash a canary promotion gives them.
            await RemoveAsync(spec, "a rollback replaces the canary", cancellationToken);
            return await rolling.ApplyAsync(spec, revision, progress, cancellationToken);
        }
        var environment = spec.Environment;
        var log = logger.ForContext("Environment", environment);
        var record = store.Load<RolloutRecord>(environment);
        var all = await replicas.ListAsync(environment, cancellationToken);
        // Replicas kept warm for a rollback are not stable: they serve nothing (the rolling update prunes them in time).
        var warm = replicas.Window.Load(environment)?.TemplateHash;
        var stableOld = all.Where(c => !c.IsCanary && c.IsRunning && c.App == spec.App && c.TemplateHash != spec.TemplateHash && c.TemplateHash != warm).ToList();
        // The same version (template and config), whatever commit carries it: a commit that only touched another
        // environment neither restarts a canary under way nor retries an aborted one.
        var sameRollout = record is not null && record.TemplateHash == spec.TemplateHash;

        if (sameRollout && record!.Status.Phase == RolloutPhase.Aborted)
            return await HoldAbortedAsync(spec, record, stableOld, log, cancellationToken);
        if (sameRollout && record!.Status.Phase == RolloutPhase.Progressing && record.Promoting)
            return await PromoteAsync(spec, revision, record, progress, log, cancellationToken);

        if (stableOld.Count == 0 || spec.Replicas == 0)
        {
            // Nothing to compare with: the first deploy, a revert back to what runs, or a finished promotion.
            await RemoveAsync(spec, "no canary is under way", cancellationToken);
            if (record is { Status.Phase: RolloutPhase.Progressing } && !sameRollout)
            {
                record = record with { Status = record.Status with { Phase = RolloutPhase.Aborted, FinishedAt = time.GetUtcNow(),
                    Message = $"superseded by revision {Short(revision)} before it finished; its canary replicas were removed" } };
                store.Save(environment, record);
            }
            if (record is { Status.Phase: RolloutPhase.Aborted } && !sameRollout && record.TemplateHash.Length > 0)
            {
                // The environment moved on (the revert, or another version): a later commit of the aborted version may try again.
                record = record with { TemplateHash = "" };
                store.Save(environment, record);
            }
            var state = await rolling.ApplyAsync(spec, revision, progress, cancellationToken);
            return state with { Rollout = record?.Status };
        }

        var stableImage = stableOld.Select(c => c.Image).FirstOrDefault(i => i.Length > 0) ?? "";
        if (!sameRollout || record!.Status.Phase != RolloutPhase.Progressing)
        {
            if (record is { Status.Phase: RolloutPhase.Progressing })
                log.Warning("Rollout of {Old} is superseded by {New}; its canary replicas go and the new revision starts from the first step",
                    Short(record.Status.Revision), Short(revision));
            record = new RolloutRecord(
                new RolloutStatus(manifests.Strategy, RolloutPhase.Progressing, revision, spec.ImageDigest, ImageDigest.TryOf(stableImage)?.Value, 0, 0, 0, null, [], [],
                    "starting the canary replicas", null, time.GetUtcNow(), null),
                spec.TemplateHash, 0, false, false);
            store.Save(environment, record);
        }
        else
        {
            log.Information("Resuming the {Strategy} of {Revision} after step {Step}", manifests.Strategy, Short(revision), record.StepsPassed);
        }

        var plan = PlanFor(spec, manifests, out var planProblem);
        var sets = new Sets(await replicas.ReadyAsync(spec, stableOld, cancellationToken), []);
        if (plan is null) return await AbortAsync(spec, record, sets, planProblem, progress, log, cancellationToken);
        record = record with { Status = record.Status with { StepCount = plan.Steps.Count } };
        var rollout = manifests.Rollout;

        // Canary replicas of another template (an earlier, superseded canary) or dead ones go first.
        foreach (var stale in all.Where(c => c.IsCanary && (c.TemplateHash != spec.TemplateHash || !c.IsRunning)))
        {
            log.Information("Removing canary replica {Container}: it is not the template being rolled out", stale.Name);
            await replicas.Runtime.StopAndRemoveAsync(stale.Id, cancellationToken);
        }
        var canaries = all.Where(c => c.IsCanary && c.IsRunning && c.TemplateHash == spec.TemplateHash).ToList();
        // Until the canary is judged, every request goes to stable (this also restores routing after an agent restart).
        await RouteAsync(spec, sets, 0, null, cancellationToken);

        if (!record.GatesPassed)
        {
            if (rollout.Gates.Count > 0)
            {
                if (gates is null)
                    return await AbortAsync(spec, record, sets with { Canary = canaries },
                        $"the environment names {rollout.Gates.Count} gate(s) but this agent has no gate runner wired; no traffic was moved", progress, log, cancellationToken);
                var results = await gates.RunAsync(rollout.Gates,
                    new GatePayload(spec.Environment, revision, spec.Image, stableImage, manifests.Strategy, null, plan.Steps[0].Weight), cancellationToken);
                record = record with { Status = record.Status with { Gates = results } };
                if (results.FirstOrDefault(r => !r.Passed) is { } failed)
                    return await AbortAsync(spec, record, sets with { Canary = canaries }, $"gate '{failed.Name}' halted the rollout: {failed.Message}", progress, log, cancellationToken);
            }
            record = record with { GatesPassed = true };
            store.Save(environment, record);
        }

        var started = await StartCanariesAsync(spec, revision, plan.CanaryReplicas, canaries, rollout.Analysis.LoadPath, log, cancellationToken);
        sets = sets with { Canary = canaries };
        if (started is not null) return await AbortAsync(spec, record, sets, started, progress, log, cancellationToken);

        for (var index = record.StepsPassed; index < plan.Steps.Count; index++)
        {
            var step = plan.Steps[index];
            sets = sets with { Stable = await replicas.ReadyAsync(spec, sets.Stable, cancellationToken) };
            await RouteAsync(spec, sets, step.Weight, plan.Audience, cancellationToken);
            record = record with { Status = record.Status with { Step = index + 1, CanaryWeight = step.Weight,
                Message = plan.Audience is null
                    ? $"step {index + 1}/{plan.Steps.Count}: {step.Weight}% of traffic on the canary, analysing {step.WindowSeconds}s"
                    : $"iteration {index + 1}/{plan.Steps.Count}: the audience on the new version, analysing {step.WindowSeconds}s" } };
            store.Save(environment, record);
            progress?.Report(State(spec, sets, record, false, null));
            log.Information("{Strategy} of {Revision}: {Message}", manifests.Strategy, Short(revision), record.Status.Message);

            for (var inconclusive = 0; ;)
            {
                var result = await AnalyseAsync(spec, rollout.Analysis, sets, index + 1, step, plan.Audience, log, cancellationToken);
                record = record with { Status = record.Status with { Analysis = [.. record.Status.Analysis, result] } };
                store.Save(environment, record);
                progress?.Report(State(spec, sets, record, false, null));
                log.Information("Analysis of step {Step} ({Weight}%): {Verdict}: {Reason}", index + 1, step.Weight, result.Verdict, result.Reason);
                if (result.Verdict == AnalysisVerdict.Passed) break;
                if (result.Verdict == AnalysisVerdict.Failed)
                    return await AbortAsync(spec, record, sets, $"analysis of step {index + 1} ({step.Weight}%) failed: {result.Reason}", progress, log, cancellationToken);
                if (++inconclusive >= rollout.Analysis.MaxInconclusiveWindows)
                    return await AbortAsync(spec, record, sets,
                        $"analysis of step {index + 1} was inconclusive {inconclusive} times in a row ({result.Reason}); raise strategy.analysis.loadRps or lower minRequests",
                        progress, log, cancellationToken);
            }
            record = record with { StepsPassed = index + 1 };
            store.Save(environment, record);
        }

        record = record with { Promoting = true, Status = record.Status with { CanaryWeight = 100, Message = "every step passed; promoting the new version to all replicas" } };
        store.Save(environment, record);
        progress?.Report(State(spec, sets, record, false, null));
        return await PromoteAsync(spec, revision, record, progress, log, cancellationToken);
    }

    /// <summary>Removes the canary replicas (out of the router first, then drained), e.g. when the strategy changed.</summary>
    public async Task RemoveAsync(WorkloadSpec spec, string reason, CancellationToken cancellationToken)
    {
        var canaries = (await replicas.ListAsync(spec.Environment, cancellationToken)).Where(c => c.IsCanary).ToList();
        if (canaries.Count == 0) return;
        if (router.Split(spec.Environment) is { Canary.Count: > 0, Stable.Count: > 0 } split)
        {
            await router.SetSplitAsync(spec.Environment, spec.HostPort, spec.Readiness.Path, TrafficSplit.StableOnly(split.Stable), cancellationToken);
            await Task.Delay(replicas.Settings.Drain, time, cancellationToken);
        }
        foreach (var canary in canaries)
        {
            logger.Information("Removing canary replica {Container}: {Reason}", canary.Name, reason);
            await replicas.Runtime.StopAndRemoveAsync(canary.Id, cancellationToken);
        }
    }

    /// <summary>The environment left Git: its rollout record and canary config go too.</summary>
    public void Forget(string environment)
    {
        store.Delete(environment);
        canaryFiles.Delete(environment);
    }

    async Task<BackendState> PromoteAsync(WorkloadSpec spec, string revision, RolloutRecord record, IProgress<BackendState>? progress, ILogger log,
        CancellationToken cancellationToken)
    {
        var withRollout = progress is null ? null : new InlineProgress(state => progress.Report(state with { Rollout = record.Status }));
        // The rolling update routes only the environment's own replicas: the canary leaves the router at its first step.
        var state = await rolling.ApplyAsync(spec, revision, withRollout, cancellationToken);
        if (!state.Converged)
            return state with { Rollout = record.Status with { Message = $"promoting: {state.Problem}" } };
        await RemoveAsync(spec, "promoted: the new version runs on every replica", cancellationToken);
        record = record with
        {
            Promoting = false,
            Status = record.Status with
            {
                Phase = RolloutPhase.Succeeded, CanaryWeight = 100, FinishedAt = time.GetUtcNow(),
                Message = $"promoted after {record.Status.Analysis.Count(a => a.Verdict == AnalysisVerdict.Passed)} passed analysis window(s)",
            },
        };
        store.Save(spec.Environment, record);
        log.Information("{Strategy} of {Revision} succeeded in {Seconds:0.0}s: {Image} serves all traffic",
            record.Status.Strategy, Short(revision), (time.GetUtcNow() - record.Status.StartedAt).TotalSeconds, spec.Image);
        return state with { Rollout = record.Status };
    }

    async Task<BackendState> AbortAsync(WorkloadSpec spec, RolloutRecord record, Sets sets, string reason, IProgress<BackendState>? progress, ILogger log,
        CancellationToken cancellationToken)
    {
        // All traffic to stable at once, before anything else: the time this takes is the user-facing part of a rollback.
        var clock = Stopwatch.StartNew();
        await RouteAsync(spec, sets, 0, null, cancellationToken);
        var toStable = clock.Elapsed;
        log.Warning("{Strategy} of {Revision} aborted: {Reason}. All traffic on stable {Ms:0.0} ms after the verdict",
            record.Status.Strategy, Short(record.Status.Revision), reason, toStable.TotalMilliseconds);
        record = record with
        {
            Status = record.Status with
            {
                Phase = RolloutPhase.Aborted, CanaryWeight = 0, FinishedAt = time.GetUtcNow(),
                Message = $"{reason}. All traffic back on stable {toStable.TotalMilliseconds:0.0} ms after the verdict",
            },
        };
        store.Save(spec.Environment, record);
        progress?.Report(State(spec, sets, record, false, record.Status.Message));
        await RemoveAsync(spec, "the rollout was aborted", cancellationToken);
        record = await RevertAsync(spec, record, sets.StableImage, log, cancellationToken);
        return State(spec, sets with { Canary = [] }, record, false, record.Status.Message);
    }

    /// <summary>An aborted revision stays refused until Git moves on (the revert arrives): stable keeps all traffic.</summary>
    async Task<BackendState> HoldAbortedAsync(WorkloadSpec spec, RolloutRecord record, List<ManagedContainer> stableOld, ILogger log, CancellationToken cancellationToken)
    {
        var sets = new Sets(await replicas.ReadyAsync(spec, stableOld, cancellationToken), []);
        if (sets.Stable.Count > 0) await RouteAsync(spec, sets, 0, null, cancellationToken);
        await RemoveAsync(spec, "its rollout was aborted", cancellationToken);
        if (!record.RevertSettled) record = await RevertAsync(spec, record, sets.StableImage, log, cancellationToken);
        return State(spec, sets, record, false, record.Status.Message);
    }

    async Task<RolloutRecord> RevertAsync(WorkloadSpec spec, RolloutRecord record, string stableImage, ILogger log, CancellationToken cancellationToken)
    {
        if (rollback is null)
        {
            record = record with { RevertSettled = true, Status = record.Status with { Message = record.Status.Message + "; this agent has no write access to the config repo, so Git still names the failed revision" } };
        }
        else if (stableImage.Length == 0)
        {
            record = record with { RevertSettled = true, Status = record.Status with { Message = record.Status.Message + "; the stable image is unknown, nothing reverted" } };
        }
        else
        {
            try
            {
                var outcome = await rollback.RevertAsync(spec.Environment, record.Status.Revision, stableImage, cancellationToken);
                if (outcome.PushFailed)
                {
                    log.Error("Reverting {Revision} in the config repo failed ({Reason}); retried on the next sync", Short(record.Status.Revision), outcome.Message);
                    return record;
                }
                record = record with { RevertSettled = true, Status = record.Status with { RollbackRevision = outcome.RevertSha, Message = $"{record.Status.Message}; {outcome.Message}" } };
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                log.Error(exception, "Reverting {Revision} in the config repo failed; retried on the next sync", Short(record.Status.Revision));
                return record;
            }
        }
        store.Save(spec.Environment, record);
        return record;
    }

    async Task<string?> StartCanariesAsync(WorkloadSpec spec, string revision, int wanted, List<ManagedContainer> canaries, string warmUpPath, ILogger log,
        CancellationToken cancellationToken)
    {
        await replicas.Runtime.EnsureImageAsync(spec.Image, log, cancellationToken);
        foreach (var (name, data) in spec.ConfigMaps) canaryFiles.Write(spec.Environment, name, data);
        foreach (var running in canaries.ToList())
        {
            if (await replicas.WaitReadyAsync(spec, running, replicas.Settings.ReadinessTimeout, cancellationToken)) continue;
            canaries.Remove(running);
            await replicas.Runtime.StopAndRemoveAsync(running.Id, cancellationToken);
        }
        // The missing canary replicas start together.
        var starts = await replicas.StartReadyAsync(spec, revision, ReplicaControl.FreeReplicaNumbers(canaries, wanted - canaries.Count), "the canary", log,
            cancellationToken, Track);
        canaries.AddRange(starts.Where(s => s.Container is not null).Select(s => s.Container!));
        if (starts.Where(s => s.Problem is not null).Select(s => s.Problem!).ToList() is { Count: > 0 } problems)
            return string.Join("; ", problems);
        await WarmUpAsync(spec, canaries, warmUpPath, cancellationToken);
        return null;
    }

    /// <summary>
    /// A freshly started replica answers its first requests slowly (JIT, cold caches) while the stable ones are warm:
    /// a few requests straight to each canary replica before any window, so its p95 measures the version, not its start.
    /// </summary>
    async Task WarmUpAsync(WorkloadSpec spec, IEnumerable<ManagedContainer> canaries, string path, CancellationToken cancellationToken)
    {
        const int WarmUpRequests = 20;
        foreach (var canary in canaries)
        {
            if (canary.Address(spec.TargetPort) is not { } address) continue;
            for (var i = 0; i < WarmUpRequests; i++)
                if ((await http.GetAsync(new Uri(address, path), ReplicaRequestTimeout, null, cancellationToken)).StatusCode is null)
                    break;
        }
    }

    /// <summary>
    /// One analysis window: synthetic load through the router while both versions' metrics are read every
    /// <see cref="SamplePollInterval"/>. The window ends at its length, or earlier as soon as canary and stable each hold
    /// the analysis's minimum sample (minRequests): more time would not change what the judge can tell.
    /// </summary>
    async Task<AnalysisResult> AnalyseAsync(WorkloadSpec spec, AnalysisSpec analysis, Sets sets, int stepNumber, Step step, AudienceMatch? audience, ILogger log,
        CancellationToken cancellationToken)
    {
        string[] excluded = [spec.Readiness.Path, spec.Liveness?.Path ?? spec.Readiness.Path, MetricsPath];
        var canaryStart = await ScrapeAsync(spec, sets.Canary, excluded, cancellationToken);
        var stableStart = await ScrapeAsync(spec, sets.Stable, excluded, cancellationToken);
        var windowLength = TimeSpan.FromSeconds(Math.Max(1, step.WindowSeconds));
        var started = time.GetUtcNow();
        using var stopLoad = new CancellationTokenSource();
        var load = new SyntheticLoad(http, time).RunAsync(new Uri(new Uri($"http://127.0.0.1:{spec.HostPort}"), analysis.LoadPath), analysis.LoadRps, audience,
            stopLoad.Token, cancellationToken);

        static RequestMetrics Window(Dictionary<string, RequestMetrics> start, Dictionary<string, RequestMetrics> end) =>
            RequestMetrics.Sum(end.Select(p => p.Value.Since(start.GetValueOrDefault(p.Key) ?? RequestMetrics.Empty)));
        Dictionary<string, RequestMetrics> canaryEnd, stableEnd;
        try
        {
            while (true)
            {
                var left = windowLength - (time.GetUtcNow() - started);
                if (left > TimeSpan.Zero) await Task.Delay(left < SamplePollInterval ? left : SamplePollInterval, time, cancellationToken);
                canaryEnd = await ScrapeAsync(spec, sets.Canary, excluded, cancellationToken);
                stableEnd = await ScrapeAsync(spec, sets.Stable, excluded, cancellationToken);
                if (time.GetUtcNow() - started >= windowLength) break;
                if (Window(canaryStart, canaryEnd).Requests >= analysis.MinRequests && Window(stableStart, stableEnd).Requests >= analysis.MinRequests)
                {
                    log.Information("Analysis of step {Step} holds its minimum sample ({MinRequests} requests per version) after {Seconds:0.#}s of {Window:0}s; judged now",
                        stepNumber, analysis.MinRequests, (time.GetUtcNow() - started).TotalSeconds, windowLength.TotalSeconds);
                    break;
                }
            }
        }
        finally
        {
            // Synchronously: the load ends here, before its outcome is awaited.
            stopLoad.Cancel();
        }
        var sent = await load;
        log.Debug("Synthetic load of step {Step}: {Sent} requests, {Failed} failed", stepNumber, sent.Sent, sent.Failed);

        var unreachable = sets.Canary.FirstOrDefault(c => !canaryStart.ContainsKey(c.Id) || !canaryEnd.ContainsKey(c.Id));
        if (unreachable is not null)
            return new AnalysisResult(stepNumber, step.Weight, time.GetUtcNow(), 0, 0, null, 0, 0, null, AnalysisVerdict.Failed,
                $"canary replica {unreachable.Name} did not answer {MetricsPath}");
        return CanaryJudge.Judge(analysis, Window(canaryStart, canaryEnd), Window(stableStart, stableEnd), stepNumber, step.Weight, time.GetUtcNow());
    }

    /// <summary>Each replica's request metrics; a replica that does not answer is left out (the caller decides what that means).</summary>
    async Task<Dictionary<string, RequestMetrics>> ScrapeAsync(WorkloadSpec spec, IEnumerable<ManagedContainer> replicaSet, IReadOnlyCollection<string> excluded,
        CancellationToken cancellationToken)
    {
        var scraped = new Dictionary<string, RequestMetrics>(StringComparer.Ordinal);
        foreach (var replica in replicaSet)
        {
            if (replica.Address(spec.TargetPort) is not { } address) continue;
            var answer = await http.GetAsync(new Uri(address, MetricsPath), ReplicaRequestTimeout, null, cancellationToken);
            if (!answer.IsSuccess)
            {
                logger.Warning("Scraping {Container}{Path} failed: {Error}", replica.Name, MetricsPath, answer.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? answer.Body);
                continue;
            }
            try
            {
                scraped[replica.Id] = RequestMetrics.From(PrometheusText.Parse(answer.Body), excluded);
            }
            catch (FormatException exception)
            {
                logger.Warning("Scraping {Container}{Path} failed: {Error}", replica.Name, MetricsPath, exception.Message);
            }
        }
        return scraped;
    }


    Task RouteAsync(WorkloadSpec spec, Sets sets, int weight, AudienceMatch? audience, CancellationToken cancellationToken)
    {
        var split = weight == 0 && audience is null
            ? TrafficSplit.StableOnly(ReplicaControl.Destinations(spec, sets.Stable))
            : new TrafficSplit(ReplicaControl.Destinations(spec, sets.Stable), ReplicaControl.Destinations(spec, sets.Canary), weight, audience);
        return router.SetSplitAsync(spec.Environment, spec.HostPort, spec.Readiness.Path, split, cancellationToken);
    }

    static Plan? PlanFor(WorkloadSpec spec, EnvironmentManifests manifests, out string problem)
    {
        problem = "";
        if (manifests.Strategy == AbTesting)
        {
            if (manifests.Rollout.AbTesting is not { } ab)
            {
                problem = "strategy ab-testing without strategy.abTesting in the rollout annotation; render the environment again";
                return null;
            }
            return new Plan(Enumerable.Repeat(new Step(0, ab.IntervalSeconds), ab.Iterations).ToList(), new AudienceMatch(ab.Header, ab.Cookie, ab.Value), 1);
        }
        var steps = DefaultSteps;
        if (manifests.Deployment.Metadata?.Annotations?.TryGetValue(SlipwayMetadata.CanaryStepsAnnotation, out var text) == true
            && !CanaryStep.TryParseAll(text, out steps, out var stepsProblem))
        {
            problem = $"deployment.yaml annotation {SlipwayMetadata.CanaryStepsAnnotation}: {stepsProblem}";
            return null;
        }
        var replicas = Math.Max(1, (int)Math.Ceiling(spec.Replicas * steps[^1].Weight / 100.0));
        return new Plan(steps.Select(s => new Step(s.Weight, s.PauseSeconds)).ToList(), null, replicas);
    }

    /// <summary>
    /// Under canary and ab-testing the version is the pod template and its ConfigMap data together (as Flagger tracks
    /// the ConfigMaps a Deployment mounts): a config-only change is canaried too, never written in place under stable.
    /// </summary>
    internal static WorkloadSpec WithConfigInTemplateHash(WorkloadSpec spec) => spec with
    {
        TemplateHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes($"{spec.TemplateHash}\n{spec.ConfigHash}")))[..16],
    };

    static BackendState State(WorkloadSpec spec, Sets sets, RolloutRecord record, bool converged, string? problem) =>
        new(spec.Environment, sets.Stable.Count, spec.Replicas, ImageDigest.TryOf(sets.StableImage)?.Value, null, spec.HostPort, converged, problem, record.Status);


    static string Short(string revision) => revision.Length > 12 ? revision[..12] : revision;

    sealed class InlineProgress(Action<BackendState> report) : IProgress<BackendState>
    {
        public void Report(BackendState value) => report(value);
    }
}
