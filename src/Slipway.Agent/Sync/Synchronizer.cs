using System.Diagnostics;
using Serilog;
using Slipway.Agent.Backends;
using Slipway.Agent.ConfigRepo;
using Slipway.Agent.Verification;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.Git;
using Slipway.Delivery.Manifests;

namespace Slipway.Agent.Sync;

/// <summary>
/// The pull loop: fetch the config repo, validate each environment's folder at the head, apply the newest valid
/// revision through the backend, report. Runs every interval and at once when the webhook asks.
/// A refused revision never reaches the backend; the environment keeps converging onto its last good revision,
/// which after a restart is found again by walking the environment's history in Git.
/// A revision's image must also pass the signature gate (<see cref="ImageGate"/>, keys from that revision's keys/) before
/// it is applied; a gate that cannot reach the registry decides nothing: the revision is evaluated again at the next sync.
/// </summary>
public sealed class Synchronizer(
    AgentOptions options, ConfigRepoMirror mirror, IEnvironmentBackend backend, StatusBoard board, SyncTrigger trigger, ImageGate imageGate,
    EnvironmentGates gates, ILogger logger)
    : BackgroundService
{
    const int HistoryDepth = 50;
    /// <summary>The trailer that lets a commit removing environments/&lt;env&gt;/ prune the environment (Argo CD's allowEmpty).</summary>
    public const string AllowEmptyTrailer = "Slipway-Allow-Empty";
    readonly SyncPolicy policy = SyncPolicy.From(options);
    readonly Dictionary<string, EnvironmentMemory> memory = options.Environments.ToDictionary(e => e, _ => new EnvironmentMemory());
    string? lastHead;
    bool fetchedOnce;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sinceStart = Stopwatch.StartNew();
        var convergedOnce = false;
        logger.Information("Agent following {Repo} ({Branch}) for {Environments} every {Interval}s on the {Backend} backend",
            RemoteUrl.Redact(mirror.Remote), options.Branch ?? "default branch", options.Environments, options.Interval.TotalSeconds, backend.Name);
        // One loop per environment, woken after each fetch: a long rollout in one (a canary in production) never
        // stalls the others, and each applies one revision at a time.
        var wakeups = options.Environments.ToDictionary(e => e, _ => new SyncTrigger(), StringComparer.Ordinal);
        var environmentLoops = options.Environments.Select(e => Task.Run(() => EnvironmentLoopAsync(e, wakeups[e], stoppingToken), CancellationToken.None)).ToList();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await FetchAsync(stoppingToken);
                foreach (var wakeup in wakeups.Values) wakeup.Request();
                if (!convergedOnce && options.Environments.All(e => board.Get(e).Health == EnvironmentHealth.Healthy))
                {
                    convergedOnce = true;
                    // With nothing running before, this is the disaster-recovery time: Git to serving environments.
                    logger.Information("All environments ({Environments}) converged {Seconds:0.0}s after the agent started",
                        options.Environments, sinceStart.Elapsed.TotalSeconds);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                logger.Error(exception, "Fetching the config repo failed");
            }
            try
            {
                if (await trigger.WaitAsync(options.Interval, stoppingToken))
                    logger.Information("Sync requested by webhook");
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
        await Task.WhenAll(environmentLoops);
    }

    async Task EnvironmentLoopAsync(string environment, SyncTrigger wakeup, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Woken by each fetch; the interval bound also corrects drift if fetching stalls.
                await wakeup.WaitAsync(options.Interval, stoppingToken);
                if (Volatile.Read(ref fetchedOnce))
                    await SyncInTurnAsync(environment, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                logger.Error(exception, "Sync of {Environment} failed", environment);
            }
        }
    }

    async Task FetchAsync(CancellationToken cancellationToken)
    {
        try
        {
            var head = await mirror.FetchAsync(cancellationToken);
            Volatile.Write(ref lastHead, head);
            board.Fetched(head, DateTimeOffset.UtcNow);
        }
        catch (ConfigRepoException exception)
        {
            // Keep converging onto what we have: drift is corrected even while the Git host is away.
            logger.Warning("Fetching the config repo failed: {Error}", exception.Message);
            board.FetchFailed(exception.Message);
        }
        Volatile.Write(ref fetchedOnce, true);
    }

    /// <summary>One pass: fetch, then every environment in parallel.</summary>
    public async Task SyncOnceAsync(CancellationToken cancellationToken)
    {
        await FetchAsync(cancellationToken);
        await Task.WhenAll(options.Environments.Select(e => SyncInTurnAsync(e, cancellationToken)));
    }

    /// <summary>Syncs the environment in its turn, at the head fetched last when the turn comes (not when it was asked for).</summary>
    async Task SyncInTurnAsync(string environment, CancellationToken cancellationToken)
    {
        using var turn = await gates.EnterAsync(environment, cancellationToken);
        await SyncEnvironmentAsync(environment, Volatile.Read(ref lastHead), cancellationToken);
    }

    async Task SyncEnvironmentAsync(string environment, string? head, CancellationToken cancellationToken)
    {
        var log = logger.ForContext("Environment", environment);
        var state = memory[environment];
        if (head is null)
        {
            board.Update(environment, s => s with { Health = EnvironmentHealth.Failed, LastError = $"The config repo {RemoteUrl.Redact(mirror.Remote)} has no commit on the followed branch yet; commit the environments first (./build.sh GitOpsCommit)." });
            return;
        }
        board.Update(environment, s => s with { DesiredRevision = head });

        // Evaluated once per head, unless the image gate could not decide (registry away): then again at every sync.
        if (state.EvaluatedRevision != head && await EvaluateAsync(environment, head, state, log, cancellationToken))
            state.EvaluatedRevision = head;

        if (state.Absent)
        {
            await backend.PruneAsync(environment, cancellationToken);
            board.Update(environment, s => s with
            {
                AppliedRevision = head, ReplicasReady = 0, ReplicasDesired = 0, ImageDigest = null, ConfigHash = null, Port = null, RefusedRevision = null,
                Health = EnvironmentHealth.Failed, LastError = $"The config repo has no environments/{environment}/ at {Short(head)}; nothing runs there.",
            });
            return;
        }
        if (state.Good is not { } good)
        {
            board.Update(environment, s => s with
            {
                Health = EnvironmentHealth.Failed, RefusedRevision = state.Refused,
                LastError = state.Unverifiable is not null
                    ? $"{state.Unverifiable}; no verified revision of environments/{environment}/ to run meanwhile"
                    : $"No valid revision of environments/{environment}/ in the last {HistoryDepth} commits. Newest refused: {state.RefusalError}",
            });
            return;
        }

        // Reported synchronously (not System.Progress, which posts to the thread pool): a late report must never
        // overwrite the final state below.
        var progress = new InlineProgress<BackendState>(p => board.Update(environment, s => s with
        {
            Health = EnvironmentHealth.Progressing, ReplicasReady = p.ReplicasReady, ReplicasDesired = p.ReplicasDesired,
            Rollout = p.Rollout ?? s.Rollout,
        }));
        var clock = Stopwatch.StartNew();
        BackendState result;
        try
        {
            result = await backend.ApplyAsync(good.Manifests, good.Revision, progress, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            log.Error(exception, "Applying {Revision} failed", Short(good.Revision));
            board.Update(environment, s => s with
            {
                Health = s.ReplicasReady > 0 ? EnvironmentHealth.Degraded : EnvironmentHealth.Failed,
                LastError = $"Applying {Short(good.Revision)} failed: {exception.Message}",
            });
            return;
        }

        var previous = board.Get(environment);
        var health = !result.Converged
            ? result.ReplicasReady == 0 && result.ReplicasDesired > 0 ? EnvironmentHealth.Failed : EnvironmentHealth.Degraded
            : state.Refused is not null || state.Unverifiable is not null ? EnvironmentHealth.Degraded
            : EnvironmentHealth.Healthy;
        board.Update(environment, s => s with
        {
            AppliedRevision = result.Converged ? good.Revision : s.AppliedRevision,
            LastApplied = result.Converged && s.AppliedRevision != good.Revision ? DateTimeOffset.UtcNow : s.LastApplied,
            ImageDigest = result.ImageDigest,
            ConfigHash = result.ConfigHash,
            ReplicasReady = result.ReplicasReady,
            ReplicasDesired = result.ReplicasDesired,
            Port = result.Port,
            Health = health,
            RefusedRevision = state.Refused,
            // An audit warning is shown while nothing worse is: the environment runs an image that did not verify.
            LastError = result.Problem
                        ?? (state.Unverifiable is null ? null : $"{state.Unverifiable}; {Short(good.Revision)} keeps running")
                        ?? state.RefusalError ?? state.VerificationWarning,
            // The last rollout stays visible after it finished (Promote waits on its phase).
            Rollout = result.Rollout ?? s.Rollout,
        });
        // A rollback pushed a revert: fetch it now rather than at the next interval.
        if (result.Rollout is { Phase: RolloutPhase.Aborted, RollbackRevision: not null } && previous.Rollout?.RollbackRevision != result.Rollout.RollbackRevision)
            trigger.Request();
        if (result.Converged && previous.AppliedRevision != good.Revision)
            log.Information("{Environment} at {Revision}: {Ready}/{Desired} ready on 127.0.0.1:{Port} ({Seconds:0.0}s)",
                environment, Short(good.Revision), result.ReplicasReady, result.ReplicasDesired, result.Port, clock.Elapsed.TotalSeconds);
    }

    /// <returns>False when the image gate could not decide (registry unreachable): the head is evaluated again next sync.</returns>
    async Task<bool> EvaluateAsync(string environment, string head, EnvironmentMemory state, ILogger log, CancellationToken cancellationToken)
    {
        var (files, readProblem) = await ReadEnvironmentAsync(head, environment, cancellationToken);
        state.Unverifiable = null;
        if (files is null && readProblem is null)
        {
            readProblem = await RefuseRemovalAsync(head, environment, cancellationToken);
            if (readProblem is null)
            {
                state.Absent = true;
                state.Good = null;
                state.Refused = null;
                state.RefusalError = null;
                state.VerificationWarning = null;
                return true;
            }
        }
        state.Absent = false;
        EnvironmentManifests? manifests = null;
        IReadOnlyList<string> problems = readProblem is not null ? [readProblem] : Check(environment, files!, out manifests);
        if (problems.Count == 0)
        {
            // The rollback claim is read beside the signature check rather than after it: a rollback waits for both
            // (each a few git processes). Both are awaited whatever the outcome, so neither is left running unobserved.
            async Task<ImageAdmission> AdmitAsync() =>
                await imageGate.AdmitAsync(environment, manifests!, await mirror.ReadFolderAsync(head, SlipwayMetadata.KeysFolder, cancellationToken), cancellationToken);
            var admitting = AdmitAsync();
            var rollback = IsRollbackAsync(head, environment, log, cancellationToken);
            await Task.WhenAll(admitting, rollback);
            var admission = await admitting;
            if (admission.Outcome == ImageAdmissionOutcome.Unverifiable)
            {
                state.Unverifiable = $"Revision {Short(head)} not applied yet: {admission.Message}";
                log.Warning("{Error}. Keeping {Good}", state.Unverifiable, state.Good is null ? "nothing (no verified revision yet)" : Short(state.Good.Revision));
                return false;
            }
            if (admission.Permitted)
            {
                if (admission.Outcome == ImageAdmissionOutcome.AdmittedWithWarning)
                    log.Warning("Applying {Revision} with an image that did not verify: {Warning}", Short(head), admission.Message);
                state.Good = new GoodRevision(head, manifests! with { IsRollback = await rollback });
                state.Refused = null;
                state.RefusalError = null;
                state.VerificationWarning = admission.Outcome == ImageAdmissionOutcome.AdmittedWithWarning ? $"Image verification: {admission.Message}" : null;
                return true;
            }
            problems = [admission.Message];
        }
        state.Refused = head;
        state.RefusalError = $"Revision {Short(head)} refused for {environment}: {string.Join(" | ", problems)}";
        log.Error("{Error}. Keeping the last good revision {Good}", state.RefusalError, state.Good is null ? "(searching history)" : Short(state.Good.Revision));
        if (state.Good is not null) return true;

        // After a restart the last good revision is not in memory: it is the newest valid one in Git.
        foreach (var revision in await mirror.HistoryAsync(head, environment, HistoryDepth, cancellationToken))
        {
            if (revision == head) continue;
            var (older, _) = await ReadEnvironmentAsync(revision, environment, cancellationToken);
            if (older is null || Check(environment, older, out var olderManifests).Count > 0) continue;
            // An older revision runs only if its image passes the gate too (never an unverified image in enforce mode).
            var admission = await imageGate.AdmitAsync(environment, olderManifests!, await mirror.ReadFolderAsync(revision, SlipwayMetadata.KeysFolder, cancellationToken), cancellationToken);
            if (admission.Outcome == ImageAdmissionOutcome.Unverifiable)
            {
                // Never skip to an even older revision because the registry is away: that would roll back further than Git says.
                state.Unverifiable = $"Looking for the last good revision of {environment}: {admission.Message}";
                log.Warning("{Error}", state.Unverifiable);
                return false;
            }
            if (!admission.Permitted) continue;
            state.Good = new GoodRevision(revision, olderManifests!);
            state.VerificationWarning = admission.Outcome == ImageAdmissionOutcome.AdmittedWithWarning ? $"Image verification: {admission.Message}" : null;
            log.Information("Last good revision of {Environment} is {Revision}", environment, Short(revision));
            return true;
        }
        return true;
    }

    IReadOnlyList<string> Check(string environment, IReadOnlyDictionary<string, string> files, out EnvironmentManifests? manifests)
    {
        manifests = null;
        try
        {
            manifests = EnvironmentManifests.Parse(environment, files);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return [exception.Message];
        }
        return policy.Refusals(manifests, backend);
    }

    /// <summary>The environment's files at <paramref name="revision"/> (null: no folder there), or why they are not read (over the agent's limits).</summary>
    async Task<(IReadOnlyDictionary<string, string>? Files, string? Problem)> ReadEnvironmentAsync(string revision, string environment, CancellationToken cancellationToken)
    {
        try
        {
            return (await mirror.ReadEnvironmentAsync(revision, environment, policy.Folder, cancellationToken), null);
        }
        catch (FolderLimitException exception)
        {
            return (null, exception.Message);
        }
    }

    /// <summary>
    /// Null when the environment may be absent at <paramref name="head"/>: it never existed, or the commit that removed
    /// its folder says so (<see cref="AllowEmptyTrailer"/>: true). Otherwise why the removal is refused.
    /// </summary>
    async Task<string?> RefuseRemovalAsync(string head, string environment, CancellationToken cancellationToken)
    {
        if ((await mirror.HistoryAsync(head, environment, 1, cancellationToken)).FirstOrDefault() is not { } removal) return null;
        var allowed = await mirror.TrailerAsync(removal, AllowEmptyTrailer, cancellationToken);
        return allowed.Any(value => value.Equals("true", StringComparison.OrdinalIgnoreCase))
            ? null
            : $"environments/{environment}/ was removed by {Short(removal)} without the trailer '{AllowEmptyTrailer}: true', so nothing is pruned; " +
              $"to stop {environment} on purpose, commit the removal with that trailer";
    }

    /// <summary>A revision skips analysis as a rollback only when its Slipway-Rollback-Of names a commit that deployed to the environment.</summary>
    async Task<bool> IsRollbackAsync(string revision, string environment, ILogger log, CancellationToken cancellationToken)
    {
        if (await mirror.RollbackClaimAsync(revision, environment, cancellationToken) is not { } claim) return false;
        if (!claim.Deployed)
            log.Warning("{Commit} claims Slipway-Rollback-Of {Claimed}, which is no earlier deploy of {Environment}: it is rolled out as a normal change, with analysis",
                Short(claim.Commit), claim.Claimed, environment);
        return claim.Deployed;
    }

    static string Short(string revision) => revision.Length > 12 ? revision[..12] : revision;

    sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    sealed record GoodRevision(string Revision, EnvironmentManifests Manifests);

    sealed class EnvironmentMemory
    {
        public string? EvaluatedRevision { get; set; }
        public GoodRevision? Good { get; set; }
        public string? Refused { get; set; }
        public string? RefusalError { get; set; }
        public bool Absent { get; set; }
        /// <summary>Why the head's image could not be checked (registry unreachable); cleared once the gate decides.</summary>
        public string? Unverifiable { get; set; }
        /// <summary>The audit warning of the image that runs, when it did not verify.</summary>
        public string? VerificationWarning { get; set; }
    }
}
