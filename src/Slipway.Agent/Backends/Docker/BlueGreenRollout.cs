using System.Diagnostics;
using System.Text.Json;
using Slipway.Agent.Rollouts;
using Slipway.Agent.Routing;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Oci;

namespace Slipway.Agent.Backends.Docker;

/// <summary>
/// Blue-green as the agent keeps it between loops and across restarts (<c>&lt;work-dir&gt;/rollouts/&lt;env&gt;.json</c>):
/// which template serves (live), which one is kept warm out of traffic and until when, the revision whose rollout
/// was aborted (not retried), and the last rollout's status.
/// </summary>
public sealed record BlueGreenState
{
    public string? LiveTemplate { get; init; }
    public string? LiveColour { get; init; }
    public string? LiveImage { get; init; }
    public string? WarmTemplate { get; init; }
    public string? WarmColour { get; init; }
    public DateTimeOffset? WarmUntil { get; init; }
    public string? AbortedRevision { get; init; }
    public RolloutStatus? Status { get; init; }
}

/// <summary>
/// Blue-green on the Docker replicas. A new template starts as the other colour (all replicas, labelled
/// <see cref="ColourLabel"/>) beside the live one and is served alone on a preview router (127.0.0.1:previewPort);
/// smoke checks (readiness path, and /version's image digest when the Deployment passes it) and the gate webhooks
/// run against the preview; then the environment's router switches all traffic at once. The old colour leaves the
/// router but keeps running for keepWarmSeconds, so a revert in Git within that time switches back without starting
/// anything. A failed smoke check or gate removes the new colour (live traffic never moved) and reverts the promotion
/// commit in the config repo.
/// </summary>
internal sealed class BlueGreenRollout(ReplicaControl replicas, ITrafficRouter router, IReplicaHttp http, TimeProvider time, RolloutServices rollouts, DockerBackendSettings settings)
{
    public const string ColourLabel = "slipway.colour";
    const string Strategy = "blue-green";
    const int StepCount = 2; // 1: preview (smoke checks, gates), 2: switch

    public static string PreviewRouterKey(string environment) => $"{environment}-preview";

    static string OtherColour(string? colour) => colour == "blue" ? "green" : "blue";


    public async Task<BackendState> ApplyAsync(WorkloadSpec spec, EnvironmentManifests manifests, string revision, IProgress<BackendState>? progress,
        ILogger log, CancellationToken cancellationToken)
    {
        var options = manifests.Rollout.BlueGreen;
        if (options is null || options.PreviewPort == spec.HostPort)
            return new BackendState(spec.Environment, 0, spec.Replicas, null, spec.ConfigHash, spec.HostPort, false,
                options is null
                    ? "strategy blue-green needs strategy.blueGreen.previewPort in deploy/environments/<env>.yaml (rendered into the slipway.dev/rollout annotation)"
                    : $"strategy.blueGreen.previewPort {options.PreviewPort} is the environment's own port; choose another free 127.0.0.1 port");

        var environment = spec.Environment;
        var running = (await replicas.ListAsync(environment, cancellationToken)).Where(c => c.App == spec.App && c.IsRunning).ToList();
        List<ManagedContainer> Colour(string? template) => running.Where(c => c.TemplateHash == template).OrderBy(c => c.Replica).ToList();

        var saved = rollouts.Store.Load<BlueGreenState>(environment);
        var state = saved ?? new BlueGreenState();
        if (saved is null && running.Count > 0)
        {
            // First blue-green loop over replicas another strategy started: the oldest template serves. (With a saved
            // state and no live template, nothing served yet: running replicas are a first rollout's, still unchecked.)
            var oldest = running.OrderBy(c => c.Created).First();
            state = state with { LiveTemplate = oldest.TemplateHash, LiveColour = oldest.Colour is { Length: > 0 } colour ? colour : "blue", LiveImage = oldest.Image };
            rollouts.Store.Save(environment, state);
        }
        var live = Colour(state.LiveTemplate);
        // The live colour is routed first: after an agent restart its router exists only from here on.
        var liveReady = await replicas.ReadyAsync(spec, live, cancellationToken);
        await replicas.RouteAsync(spec, liveReady, cancellationToken);

        if (state.LiveTemplate == spec.TemplateHash)
            return await SteadyAsync(spec, state, running, live, liveReady, revision, progress, log, cancellationToken);
        if (state.WarmTemplate == spec.TemplateHash)
        {
            var warmReady = await replicas.ReadyAsync(spec, Colour(state.WarmTemplate), cancellationToken);
            if (warmReady.Count >= spec.Replicas)
                return await SwitchBackAsync(spec, state, options, warmReady, revision, log, cancellationToken);
            log.Warning("The warm {Colour} colour has {Ready} of {Replicas} replicas ready; rolling it out like a new version", state.WarmColour, warmReady.Count, spec.Replicas);
        }
        return await RolloutAsync(spec, manifests, options, state, running, liveReady, revision, progress, log, cancellationToken);
    }

    /// <summary>The desired template is live: keep its replica count and health, drop leftovers, retire the warm colour when its time is up.</summary>
    async Task<BackendState> SteadyAsync(WorkloadSpec spec, BlueGreenState state, List<ManagedContainer> running, List<ManagedContainer> live,
        List<ManagedContainer> ready, string revision, IProgress<BackendState>? progress, ILogger log, CancellationToken cancellationToken)
    {
        await router.RemoveAsync(PreviewRouterKey(spec.Environment));
        foreach (var leftover in running.Where(c => c.TemplateHash != state.LiveTemplate && c.TemplateHash != state.WarmTemplate))
            await replicas.RetireAsync(spec, leftover, "left over from an earlier rollout", log, cancellationToken);
        state = await ExpireWarmAsync(spec, state, running, drain: false, log, cancellationToken);

        BackendState State(bool converged, string? problem) =>
            new(spec.Environment, ready.Count, spec.Replicas, spec.ImageDigest, spec.ConfigHash, spec.HostPort, converged, problem, state.Status);
        var unready = live.Except(ready).ToList();
        var steady = ready.Count + unready.Count == spec.Replicas;
        while (ready.Count + unready.Count < spec.Replicas)
        {
            var taken = live.Select(c => c.Replica).ToHashSet();
            var replica = Enumerable.Range(0, int.MaxValue).First(i => !taken.Contains(i));
            progress?.Report(State(false, null));
            var start = (await StartColourAsync(spec, revision, [replica], state.LiveColour ?? "blue", log, cancellationToken))[0];
            if (start.Container is not { } started) return State(false, start.Problem);
            live.Add(started);
            ready.Add(started);
            await replicas.RouteAsync(spec, ready, cancellationToken);
        }
        var surplus = ready.Count + unready.Count - spec.Replicas;
        foreach (var extra in unready.OrderByDescending(c => c.Replica).Concat(ready.OrderByDescending(c => c.Replica)).Take(Math.Max(0, surplus)).ToList())
        {
            ready.Remove(extra);
            unready.Remove(extra);
            await replicas.RetireAsync(spec, extra, "scaled down", log, cancellationToken, routed: ready);
        }
        // Self-healing only when this loop started and stopped nothing.
        var healing = steady
            ? await replicas.Healing.HealAsync(spec, revision, ready, unready, log, cancellationToken,
                new Dictionary<string, string> { [ColourLabel] = state.LiveColour ?? "blue" })
            : null;
        if (unready.Count > 0)
            return State(false, $"{unready.Count} replica(s) of the {state.LiveColour} colour fail their readiness probe ({string.Join(", ", unready.Select(c => c.Name))}); out of the router until ready" +
                                (healing is null ? "" : $". {healing}"));
        return State(healing is null, healing);
    }

    /// <summary>Git wants the colour kept warm again (a revert within keepWarmSeconds): all traffic moves back at once, nothing starts.</summary>
    async Task<BackendState> SwitchBackAsync(WorkloadSpec spec, BlueGreenState state, BlueGreenSpec options, List<ManagedContainer> warmReady,
        string revision, ILogger log, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var serving = warmReady.OrderBy(c => c.Replica).Take(spec.Replicas).ToList();
        await replicas.RouteAsync(spec, serving, cancellationToken);
        await router.RemoveAsync(PreviewRouterKey(spec.Environment));
        var now = time.GetUtcNow();
        var message = $"switched all traffic back to the warm {state.WarmColour} colour in {clock.Elapsed.TotalMilliseconds:0} ms without starting containers; " +
                      $"the {state.LiveColour} colour is kept warm for {options.KeepWarmSeconds}s";
        log.Information("Blue-green {Environment}: {Message}", spec.Environment, message);
        var status = new RolloutStatus(Strategy, RolloutPhase.Succeeded, revision, spec.ImageDigest, ImageDigest.TryOf(state.LiveImage)?.Value, StepCount, StepCount, 100,
            options.PreviewPort, [], [], message, null, now, now);
        state = new BlueGreenState
        {
            LiveTemplate = spec.TemplateHash, LiveColour = state.WarmColour, LiveImage = spec.Image,
            WarmTemplate = state.LiveTemplate, WarmColour = state.LiveColour, WarmUntil = now.AddSeconds(options.KeepWarmSeconds),
            Status = status,
        };
        rollouts.Store.Save(spec.Environment, state);
        if (options.KeepWarmSeconds == 0)
            state = await ExpireWarmAsync(spec, state, await replicas.ListAsync(spec.Environment, cancellationToken), drain: true, log, cancellationToken);
        return new BackendState(spec.Environment, serving.Count, spec.Replicas, spec.ImageDigest, spec.ConfigHash, spec.HostPort, serving.Count == spec.Replicas, null, state.Status);
    }

    /// <summary>A new template: the other colour beside the live one, previewed, smoke-checked and gated, then all traffic switches.</summary>
    async Task<BackendState> RolloutAsync(WorkloadSpec spec, EnvironmentManifests manifests, BlueGreenSpec options, BlueGreenState state,
        List<ManagedContainer> running, List<ManagedContainer> liveReady, string revision, IProgress<BackendState>? progress, ILogger log,
        CancellationToken cancellationToken)
    {
        var environment = spec.Environment;
        var previewKey = PreviewRouterKey(environment);
        var stableImage = state.LiveImage;
        var liveColour = state.LiveColour ?? "blue";

        BackendState Serving(bool converged, string? problem, RolloutStatus? status) =>
            new(environment, liveReady.Count, spec.Replicas, ImageDigest.TryOf(stableImage)?.Value, spec.ConfigHash, spec.HostPort, converged, problem, status);

        if (state.AbortedRevision == revision)
        {
            // Aborted before (the revert may not be fetched yet): not retried; only what it left behind goes.
            await router.RemoveAsync(previewKey);
            foreach (var leftover in running.Where(c => c.TemplateHash == spec.TemplateHash))
                await replicas.Runtime.RemoveAsync(leftover.Id, cancellationToken);
            return Serving(false, state.Status?.Message, state.Status);
        }

        var existing = running.Where(c => c.TemplateHash == spec.TemplateHash).OrderBy(c => c.Replica).ToList();
        var colour = existing.FirstOrDefault()?.Colour is { Length: > 0 } started ? started : OtherColour(state.LiveTemplate is null ? null : liveColour);
        var now = time.GetUtcNow();
        // Resumed after a restart when the same revision was in progress; otherwise a new rollout.
        var status = state.Status is { Phase: RolloutPhase.Progressing } resumed && resumed.Revision == revision
            ? resumed
            : new RolloutStatus(Strategy, RolloutPhase.Progressing, revision, spec.ImageDigest, ImageDigest.TryOf(stableImage)?.Value, 1, StepCount, 0, options.PreviewPort,
                [], [], null, null, now, null);
        status = status with
        {
            Message = (existing.Count > 0 ? $"resuming the {colour} colour ({existing.Count} of {spec.Replicas} replicas already running)" : $"starting the {colour} colour ({spec.Replicas} replicas)") +
                      (liveReady.Count > 0 ? $" beside the live {liveColour} colour" : "; nothing serves yet"),
        };
        // Only two colours: an older one kept warm makes way for the new one.
        state = state with { Status = status, WarmTemplate = null, WarmColour = null, WarmUntil = null };
        rollouts.Store.Save(environment, state);
        progress?.Report(Serving(false, null, status));
        log.Information("Blue-green {Environment}: {Message}, revision {Revision}", environment, status.Message, Short(revision));
        foreach (var other in running.Where(c => c.TemplateHash != state.LiveTemplate && c.TemplateHash != spec.TemplateHash))
            await replicas.RetireAsync(spec, other, "an older colour makes way for the new one", log, cancellationToken);

        // Every replica of the new template, started together, each waited for.
        var missing = Enumerable.Range(0, spec.Replicas).Where(i => existing.All(c => c.Replica != i)).ToList();
        var starts = await StartColourAsync(spec, revision, missing, colour, log, cancellationToken);
        if (starts.FirstOrDefault(s => s.Container is null) is { Problem: { } startProblem })
            return await AbortAsync(spec, state, status, liveReady, revision, startProblem, log, cancellationToken);
        var candidates = (await replicas.ReadyAsync(spec, existing, cancellationToken)).Concat(starts.Select(s => s.Container!)).OrderBy(c => c.Replica).ToList();
        if (candidates.Count < spec.Replicas)
            return await AbortAsync(spec, state, status, liveReady, revision,
                $"only {candidates.Count} of {spec.Replicas} replicas of the {colour} colour are ready", log, cancellationToken);
        foreach (var extra in candidates.Skip(spec.Replicas).ToList())
        {
            candidates.Remove(extra);
            await replicas.Runtime.RemoveAsync(extra.Id, cancellationToken);
        }

        // Preview: the new colour alone on its own port, for the smoke checks and the gates.
        try
        {
            await replicas.RouteAsync(spec, candidates, cancellationToken, previewKey, options.PreviewPort);
        }
        catch (InvalidOperationException exception)
        {
            return await AbortAsync(spec, state, status, liveReady, revision,
                $"the preview router cannot listen on 127.0.0.1:{options.PreviewPort} ({exception.InnerException?.Message ?? exception.Message}); " +
                "free the port or change strategy.blueGreen.previewPort", log, cancellationToken);
        }
        var previewUrl = $"http://127.0.0.1:{options.PreviewPort}";
        status = status with { Message = $"previewing the {colour} colour on {previewUrl}: smoke checks" };
        rollouts.Store.Save(environment, state = state with { Status = status });
        progress?.Report(Serving(false, null, status));
        if (await SmokeCheckAsync(spec, manifests, new Uri(previewUrl), cancellationToken) is { } smokeFailure)
            return await AbortAsync(spec, state, status, liveReady, revision, $"smoke check on the preview failed: {smokeFailure}", log, cancellationToken);

        var gates = manifests.Rollout.Gates;
        var results = await rollouts.Gates.RunAsync(gates, new GatePayload(environment, revision, spec.Image, stableImage, Strategy, previewUrl, 100), cancellationToken);
        status = status with { Gates = results };
        if (!GateRunner.AllPassed(gates, results))
        {
            var failed = results.First(r => !r.Passed);
            return await AbortAsync(spec, state, status, liveReady, revision, $"gate '{failed.Name}' failed: {failed.Message}", log, cancellationToken);
        }

        // The switch: one router update moves all traffic; the live colour keeps running for in-flight requests and a switch-back.
        var clock = Stopwatch.StartNew();
        await replicas.RouteAsync(spec, candidates, cancellationToken);
        var switched = clock.Elapsed;
        await router.RemoveAsync(previewKey);
        now = time.GetUtcNow();
        var hadLive = state.LiveTemplate is not null && liveReady.Count > 0;
        var message = hadLive
            ? $"all traffic switched from the {liveColour} to the {colour} colour ({switched.TotalMilliseconds:0} ms); {liveColour} kept warm for {options.KeepWarmSeconds}s"
            : $"all traffic on the {colour} colour (nothing was live before)";
        log.Information("Blue-green {Environment}: {Message}", environment, message);
        status = status with { Phase = RolloutPhase.Succeeded, Step = StepCount, CanaryWeight = 100, Message = message, FinishedAt = now };
        state = new BlueGreenState
        {
            LiveTemplate = spec.TemplateHash, LiveColour = colour, LiveImage = spec.Image,
            WarmTemplate = hadLive ? state.LiveTemplate : null, WarmColour = hadLive ? liveColour : null,
            WarmUntil = hadLive ? now.AddSeconds(options.KeepWarmSeconds) : null,
            Status = status,
        };
        rollouts.Store.Save(environment, state);
        if (hadLive && options.KeepWarmSeconds == 0)
            state = await ExpireWarmAsync(spec, state, await replicas.ListAsync(environment, cancellationToken), drain: true, log, cancellationToken);
        else if (!hadLive)
            // Replicas of a recorded live template that were all gone serve nothing: nothing to keep warm.
            foreach (var stale in (await replicas.ListAsync(environment, cancellationToken)).Where(c => c.TemplateHash != spec.TemplateHash))
                await replicas.RetireAsync(spec, stale, "replaced by the new colour", log, cancellationToken);
        return new BackendState(environment, candidates.Count, spec.Replicas, spec.ImageDigest, spec.ConfigHash, spec.HostPort, true, null, status);
    }

    /// <summary>Live traffic never moved: the new colour goes, the promotion commit is reverted, the abort is recorded (and not retried).</summary>
    async Task<BackendState> AbortAsync(WorkloadSpec spec, BlueGreenState state, RolloutStatus status, List<ManagedContainer> liveReady,
        string revision, string reason, ILogger log, CancellationToken cancellationToken)
    {
        var environment = spec.Environment;
        log.Error("Blue-green rollout of {Revision} to {Environment} aborted: {Reason}", Short(revision), environment, reason);
        await router.RemoveAsync(PreviewRouterKey(environment));
        await replicas.RouteAsync(spec, liveReady, cancellationToken);
        foreach (var candidate in (await replicas.ListAsync(environment, cancellationToken)).Where(c => c.TemplateHash == spec.TemplateHash))
            await replicas.Runtime.RemoveAsync(candidate.Id, cancellationToken);
        var rollback = await rollouts.Rollback.RevertAsync(environment, revision, state.LiveImage ?? spec.Image, cancellationToken);
        var message = $"{reason}. Live traffic stayed on the {state.LiveColour ?? "previous"} colour; {rollback.Message}";
        status = status with { Phase = RolloutPhase.Aborted, Message = message, RollbackRevision = rollback.RevertSha, FinishedAt = time.GetUtcNow() };
        rollouts.Store.Save(environment, state with { AbortedRevision = revision, Status = status });
        return new BackendState(environment, liveReady.Count, spec.Replicas, ImageDigest.TryOf(state.LiveImage)?.Value, spec.ConfigHash, spec.HostPort, false, message, status);
    }

    /// <summary>The warm colour's time is up (or it is gone): its containers are stopped and forgotten.</summary>
    async Task<BlueGreenState> ExpireWarmAsync(WorkloadSpec spec, BlueGreenState state, IReadOnlyList<ManagedContainer> running, bool drain,
        ILogger log, CancellationToken cancellationToken)
    {
        if (state.WarmTemplate is null) return state;
        var warm = running.Where(c => c.TemplateHash == state.WarmTemplate && c.IsRunning).ToList();
        if (warm.Count > 0 && state.WarmUntil > time.GetUtcNow()) return state;
        // Just switched away with no keep-warm time: in-flight requests still finish first.
        if (drain && warm.Count > 0) await Task.Delay(settings.Drain, time, cancellationToken);
        foreach (var container in warm)
            await replicas.RetireAsync(spec, container, $"the {state.WarmColour} colour's keep-warm time is over", log, cancellationToken);
        state = state with { WarmTemplate = null, WarmColour = null, WarmUntil = null };
        rollouts.Store.Save(spec.Environment, state);
        return state;
    }

    /// <summary>The replicas of one colour, started together, each waited for.</summary>
    Task<IReadOnlyList<ReplicaStart>> StartColourAsync(WorkloadSpec spec, string revision, IReadOnlyList<int> replicaNumbers, string colour, ILogger log,
        CancellationToken cancellationToken) =>
        replicas.StartReadyAsync(spec, revision, replicaNumbers, $"the {colour} colour", log, cancellationToken,
            extraLabels: new Dictionary<string, string> { [ColourLabel] = colour });

    /// <summary>
    /// Through the preview port, enough requests that every replica of the new colour answers (round robin): the readiness
    /// path answers 200, and /version reports the new image digest when the Deployment passes it (slipway.dev/image-digest-env).
    /// Null when all pass, else what failed.
    /// </summary>
    async Task<string?> SmokeCheckAsync(WorkloadSpec spec, EnvironmentManifests manifests, Uri preview, CancellationToken cancellationToken)
    {
        string? digestEnv = null;
        manifests.Deployment.Metadata?.Annotations?.TryGetValue(SlipwayMetadata.DigestEnvAnnotation, out digestEnv);
        var checkDigest = digestEnv is { Length: > 0 } && spec.Env.Any(e => e.StartsWith(digestEnv + "=", StringComparison.Ordinal));
        for (var round = 0; round < spec.Replicas * 2; round++)
        {
            var (code, _) = await GetAsync(new Uri(preview, spec.Readiness.Path), cancellationToken);
            if (code != 200) return $"{spec.Readiness.Path} answered {Describe(code)} (expected 200)";
            if (!checkDigest) continue;
            var (versionCode, body) = await GetAsync(new Uri(preview, "/version"), cancellationToken);
            if (versionCode != 200) return $"/version answered {Describe(versionCode)} (expected 200)";
            string? reported;
            try
            {
                using var document = JsonDocument.Parse(body);
                reported = document.RootElement.TryGetProperty("imageDigest", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            }
            catch (JsonException)
            {
                return "/version did not answer JSON";
            }
            if (reported != spec.ImageDigest)
                return $"/version reports image digest {reported ?? "none"}, but {spec.ImageDigest} was deployed ({digestEnv} set by the Deployment)";
        }
        return null;
    }

    /// <summary>A GET with a few retries on transport errors only (a fresh listener); an HTTP answer is final.</summary>
    async Task<(int? Code, string Body)> GetAsync(Uri url, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var answer = await http.GetAsync(url, TimeSpan.FromSeconds(5), null, cancellationToken);
            if (answer.StatusCode is not null || attempt == 3) return (answer.StatusCode, answer.Body);
            await Task.Delay(TimeSpan.FromMilliseconds(500), time, cancellationToken);
        }
    }

    static string Describe(int? code) => code is null ? "nothing (no connection or no answer within 5s)" : code.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    static string Short(string revision) => revision.Length > 12 ? revision[..12] : revision;
}
