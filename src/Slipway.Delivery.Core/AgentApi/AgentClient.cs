using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Slipway.Delivery.Oci;

namespace Slipway.Delivery.AgentApi;

/// <summary>Talks to a running agent's API (127.0.0.1:8090 by default): status, webhook trigger, waiting for a rollout.</summary>
public sealed class AgentClient : IDisposable
{
    public static readonly Uri DefaultBaseAddress = new("http://127.0.0.1:8090/");
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    readonly HttpClient http;
    readonly bool ownsHttp;

    public AgentClient(Uri? baseAddress = null, HttpClient? httpClient = null)
    {
        BaseAddress = baseAddress ?? DefaultBaseAddress;
        ownsHttp = httpClient is null;
        http = httpClient ?? new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; }

    /// <summary>How long <see cref="WaitForRolloutAsync"/> keeps polling an aborted rollout for the agent's revert commit.</summary>
    public TimeSpan RevertReportGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The agent's operator token (.nuke/platform/agent/operator-token), sent as a bearer token on state-changing routes.</summary>
    public string? OperatorToken { get; init; }

    public static AgentClient ForPort(int apiPort, string? operatorToken = null) =>
        new(new Uri($"http://127.0.0.1:{apiPort}/")) { OperatorToken = operatorToken };

    /// <summary>True when the agent answers <c>GET /healthz</c>.</summary>
    public async Task<bool> IsRunningAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            using var response = await http.GetAsync(new Uri(BaseAddress, "healthz"), timeout.Token);
            return response.IsSuccessStatusCode;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public async Task<AgentStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var status = await http.GetFromJsonAsync<AgentStatus>(new Uri(BaseAddress, "status"), Json, cancellationToken);
            return status ?? throw new AgentUnavailableException(BaseAddress, "the agent answered /status with an empty body");
        }
        catch (HttpRequestException exception)
        {
            throw new AgentUnavailableException(BaseAddress, exception.Message, exception);
        }
    }

    /// <summary>
    /// Asks for an immediate sync through the signed webhook, as a Git host would. Throws
    /// <see cref="AgentWebhookRejectedException"/> when the agent rejects the signature (wrong or unset secret).
    /// </summary>
    public async Task TriggerSyncAsync(string secret, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var body = JsonSerializer.SerializeToUtf8Bytes(new { source = "slipway", requestedAt = DateTimeOffset.UtcNow }, Json);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseAddress, "hooks/git"))
        {
            Content = new ByteArrayContent(body) { Headers = { { "Content-Type", "application/json" } } },
        };
        request.Headers.Add(WebhookSignature.HeaderName, WebhookSignature.Compute(secret, body));
        request.Headers.Add("X-GitHub-Event", "push");
        // Each delivery has its own id, as a Git host's does: the agent refuses an id it has seen (a replay).
        request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
        await SendAsync(request, reason => new AgentWebhookRejectedException(BaseAddress, reason), cancellationToken);
    }

    /// <summary>
    /// Asks for an immediate sync (POST /sync) with the operator token. Throws <see cref="AgentOperatorTokenRejectedException"/>
    /// when the agent refuses the token (wrong, missing, or the agent has none).
    /// </summary>
    public async Task RequestSyncAsync(CancellationToken cancellationToken = default)
    {
        using var request = OperatorRequest("sync", "POST /sync");
        await SendAsync(request, reason => new AgentOperatorTokenRejectedException(BaseAddress, reason), cancellationToken);
    }

    /// <summary>
    /// Asks the agent to roll <paramref name="environment"/> back (POST /environments/{environment}/rollback with the
    /// operator token): it commits the rollback from its own clone, moves traffic to a warm revision ahead of the commit
    /// when it can, and syncs at once. Throws <see cref="AgentUnavailableException"/> when it does not answer,
    /// <see cref="AgentRollbackUnsupportedException"/> when it offers no rollback for the environment (an older agent, or
    /// one that follows other environments), <see cref="Promotion.RollbackRefusedException"/> when there is nothing to
    /// roll back, and <see cref="AgentRollbackFailedException"/> when its commit failed (nothing was committed).
    /// </summary>
    public async Task<AgentRollbackResponse> RollBackAsync(string environment, string? to, string run, CancellationToken cancellationToken = default)
    {
        using var request = OperatorRequest($"environments/{Uri.EscapeDataString(environment)}/rollback", "a rollback");
        request.Content = JsonContent.Create(new AgentRollbackRequest(to, run), options: Json);
        using var response = await SendOrUnavailableAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var error = ErrorOf(body);
        return response.StatusCode switch
        {
            HttpStatusCode.OK => JsonSerializer.Deserialize<AgentRollbackResponse>(body, Json)
                                 ?? throw new AgentRollbackFailedException(BaseAddress, "the agent answered the rollback with an empty body"),
            HttpStatusCode.Unauthorized => throw new AgentOperatorTokenRejectedException(BaseAddress, body),
            HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed => throw new AgentRollbackUnsupportedException(BaseAddress, error ?? $"HTTP {(int)response.StatusCode}"),
            HttpStatusCode.Conflict => throw new Promotion.RollbackRefusedException(error ?? body),
            _ => throw new AgentRollbackFailedException(BaseAddress, error ?? $"HTTP {(int)response.StatusCode}: {body}"),
        };
    }

    /// <summary>The "error" of the agent's JSON error body; null for any other body (a route the agent does not have answers an empty one).</summary>
    static string? ErrorOf(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error) ? error.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A POST to <paramref name="path"/> carrying the operator token (<paramref name="what"/> names it in the error when there is none).</summary>
    HttpRequestMessage OperatorRequest(string path, string what)
    {
        if (string.IsNullOrEmpty(OperatorToken))
            throw new InvalidOperationException($"AgentClient.OperatorToken is not set: {what} needs the agent's operator token (.nuke/platform/agent/operator-token).");
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseAddress, path));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", OperatorToken);
        return request;
    }

    /// <summary>The agent's answer; <see cref="AgentUnavailableException"/> when it does not answer at all.</summary>
    async Task<HttpResponseMessage> SendOrUnavailableAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException exception)
        {
            throw new AgentUnavailableException(BaseAddress, exception.Message, exception);
        }
    }

    /// <summary>Sends a state-changing request: unreachable → <see cref="AgentUnavailableException"/>, 401 → <paramref name="rejected"/>(the agent's answer).</summary>
    async Task SendAsync(HttpRequestMessage request, Func<string, Exception> rejected, CancellationToken cancellationToken)
    {
        using (var response = await SendOrUnavailableAsync(request, cancellationToken))
        {
            if (response.StatusCode == HttpStatusCode.Unauthorized)
                throw rejected(await response.Content.ReadAsStringAsync(cancellationToken));
            response.EnsureSuccessStatusCode();
        }
    }

    /// <summary>
    /// Polls until <paramref name="environment"/> has <paramref name="revision"/> applied and is healthy. Throws
    /// <see cref="AgentWaitException"/> at once when the agent refuses that revision, and at the timeout with the
    /// agent's last reported state and error.
    /// </summary>
    /// <param name="contains">
    /// Optional: whether a revision the agent applied contains <paramref name="revision"/> (another pipeline committed
    /// after it before the agent synced); such a later revision, healthy, counts as this deploy applied.
    /// </param>
    public Task<EnvironmentStatus> WaitForEnvironmentAsync(string environment, string revision, TimeSpan timeout,
        IProgress<EnvironmentStatus>? progress = null, CancellationToken cancellationToken = default,
        Func<string, CancellationToken, Task<bool>>? contains = null)
    {
        var containing = new Dictionary<string, bool>(StringComparer.OrdinalIgnoreCase);
        return PollAsync(environment, DateTimeOffset.UtcNow + timeout, progress, async last =>
            {
                if (last.Health == EnvironmentHealth.Healthy && last.AppliedRevision is { } applied &&
                    await IncludesAsync(applied, revision, containing, contains, cancellationToken))
                    return true;
                if (SameRevision(last.RefusedRevision, revision))
                    throw new AgentWaitException(environment, revision, last, $"the agent refused revision {revision}: {last.LastError}");
                return false;
            },
            (last, lastProblem) => new AgentWaitException(environment, revision, last,
                $"'{environment}' did not reach revision {revision} healthy within {timeout.TotalSeconds:0}s " +
                $"(applied {last?.AppliedRevision ?? "none"}, {last?.Health.ToString() ?? "unknown"}, " +
                $"{last?.ReplicasReady ?? 0}/{last?.ReplicasDesired ?? 0} ready): {lastProblem ?? "no error reported"}"),
            cancellationToken);
    }

    /// <summary>
    /// Polls until the environment's progressive rollout (<see cref="EnvironmentStatus.Rollout"/>) of <paramref name="revision"/>
    /// — or of a later revision that contains it — has finished. Succeeded: returns the environment. Aborted: throws
    /// <see cref="RolloutAbortedException"/> with the agent's message, analysis and revert commit. Throws
    /// <see cref="AgentWaitException"/> when the agent refuses the revision, and at the timeout with the last reported state.
    /// A revision the agent applied healthy without a rollout of its own (a first deploy, an unchanged image, an agent without
    /// progressive rollouts) is done too: the caller sees a <see cref="EnvironmentStatus.Rollout"/> that is null or an older
    /// revision's (<see cref="RolloutCovers"/> tells).
    /// </summary>
    public Task<EnvironmentStatus> WaitForRolloutAsync(string environment, string revision, TimeSpan timeout,
        IProgress<EnvironmentStatus>? progress = null, CancellationToken cancellationToken = default,
        Func<string, CancellationToken, Task<bool>>? contains = null)
    {
        var containing = new Dictionary<string, bool>(StringComparer.OrdinalIgnoreCase);
        var deadline = DateTimeOffset.UtcNow + timeout;
        DateTimeOffset? abortedAt = null;
        return PollAsync(environment, deadline, progress, async last =>
            {
                if (SameRevision(last.RefusedRevision, revision))
                    throw new AgentWaitException(environment, revision, last, $"the agent refused revision {revision}: {last.LastError}");
                if (last.Rollout is { } rollout && rollout.Phase != RolloutPhase.Progressing &&
                    await IncludesAsync(rollout.Revision, revision, containing, contains, cancellationToken))
                {
                    if (rollout.Phase != RolloutPhase.Aborted) return true;
                    // The agent moves traffic back first and pushes the revert right after: give it a moment to report it.
                    abortedAt ??= DateTimeOffset.UtcNow;
                    if (rollout.RollbackRevision is not null || DateTimeOffset.UtcNow - abortedAt >= RevertReportGrace || DateTimeOffset.UtcNow >= deadline)
                        throw new RolloutAbortedException(environment, revision, rollout);
                    return false;
                }
                // Applied without a rollout of its own: the environment's first deploy (nothing to compare with), a change
                // that keeps the image, or an agent without progressive rollouts. The rollout shown (if any) is then an
                // older revision's; the revision applied healthy is all there is to wait for. An agent reports a rollout
                // of the revision from its start and applies it only at its end, so this never cuts one short.
                return last.Health == EnvironmentHealth.Healthy && last.AppliedRevision is { } applied &&
                       last.Rollout is not { Phase: RolloutPhase.Progressing } &&
                       await IncludesAsync(applied, revision, containing, contains, cancellationToken);
            },
            (last, lastProblem) => new AgentWaitException(environment, revision, last,
                $"the rollout of revision {revision} to '{environment}' did not finish within {timeout.TotalSeconds:0}s " +
                $"(rollout {Describe(last?.Rollout)}; applied {last?.AppliedRevision ?? "none"}, {last?.Health.ToString() ?? "unknown"}): " +
                $"{lastProblem ?? "no error reported"}"),
            cancellationToken);
    }

    /// <summary>
    /// Polls until the environment has applied <paramref name="revision"/> (or a later revision containing it), is healthy,
    /// runs <paramref name="imageDigest"/> and, when it reports a rollout of that revision, the rollout succeeded: the
    /// version serves all traffic (e.g. after a rollback). Throws <see cref="AgentWaitException"/> at the timeout.
    /// </summary>
    public Task<EnvironmentStatus> WaitForServingAsync(string environment, string revision, string imageDigest, TimeSpan timeout,
        IProgress<EnvironmentStatus>? progress = null, CancellationToken cancellationToken = default,
        Func<string, CancellationToken, Task<bool>>? contains = null)
    {
        var digest = ImageDigest.Of(imageDigest);
        var containing = new Dictionary<string, bool>(StringComparer.OrdinalIgnoreCase);
        return PollAsync(environment, DateTimeOffset.UtcNow + timeout, progress, async last =>
            {
                if (SameRevision(last.RefusedRevision, revision))
                    throw new AgentWaitException(environment, revision, last, $"the agent refused revision {revision}: {last.LastError}");
                // The agent rolled this revision out with the environment's strategy and gave up: it will not serve.
                if (last.Rollout is { Phase: RolloutPhase.Aborted } aborted &&
                    await IncludesAsync(aborted.Revision, revision, containing, contains, cancellationToken))
                    throw new RolloutAbortedException(environment, revision, aborted);
                var runs = ImageDigest.TryOf(last.ImageDigest) == digest;
                var rolloutDone = last.Rollout is not { Phase: RolloutPhase.Progressing };
                return runs && rolloutDone && last.Health == EnvironmentHealth.Healthy && last.AppliedRevision is { } applied &&
                       await IncludesAsync(applied, revision, containing, contains, cancellationToken);
            },
            (last, lastProblem) => new AgentWaitException(environment, revision, last,
                $"'{environment}' did not serve {digest} at revision {revision} within {timeout.TotalSeconds:0}s " +
                $"(applied {last?.AppliedRevision ?? "none"}, image {last?.ImageDigest ?? "none"}, {last?.Health.ToString() ?? "unknown"}, " +
                $"rollout {Describe(last?.Rollout)}): {lastProblem ?? "no error reported"}"),
            cancellationToken);
    }

    /// <summary>How often a wait asks for /status while the change is young (a warm rollback's switch takes well under a second).</summary>
    public static readonly TimeSpan FastPollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>How often a wait asks once <see cref="FastPollFor"/> has passed (a rollout of minutes needs no finer view).</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a wait polls at <see cref="FastPollInterval"/> before it slows down to <see cref="PollInterval"/>.</summary>
    public static readonly TimeSpan FastPollFor = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The loop every wait shares: GET /status every <see cref="FastPollInterval"/> for <see cref="FastPollFor"/>, then
    /// every <see cref="PollInterval"/>, report the environment, and stop when <paramref name="done"/> says so (or
    /// throws); an agent that does not answer is retried until <paramref name="deadline"/>, then
    /// <paramref name="timedOut"/> gets the last status and problem seen. The MTTR a rollback prints ends when this
    /// loop sees the version serving, so a coarse poll would add up to its interval to every rollback.
    /// </summary>
    async Task<EnvironmentStatus> PollAsync(string environment, DateTimeOffset deadline, IProgress<EnvironmentStatus>? progress,
        Func<EnvironmentStatus, Task<bool>> done, Func<EnvironmentStatus?, string?, Exception> timedOut, CancellationToken cancellationToken)
    {
        EnvironmentStatus? last = null;
        string? lastProblem = null;
        var started = DateTimeOffset.UtcNow;
        while (true)
        {
            try
            {
                var status = await GetStatusAsync(cancellationToken);
                last = status.Find(environment);
                lastProblem = last is null ? $"the agent does not manage an environment named '{environment}'" : last.LastError ?? status.LastFetchError;
                if (last is not null)
                {
                    progress?.Report(last);
                    if (await done(last)) return last;
                }
            }
            catch (AgentUnavailableException exception)
            {
                lastProblem = exception.Message;
            }
            var now = DateTimeOffset.UtcNow;
            if (now >= deadline) throw timedOut(last, lastProblem);
            await Task.Delay(now - started < FastPollFor ? FastPollInterval : PollInterval, cancellationToken);
        }
    }

    /// <summary>True when the environment's reported rollout is of <paramref name="revision"/> or a later revision containing it.</summary>
    public static async Task<bool> RolloutCovers(EnvironmentStatus status, string revision, Func<string, CancellationToken, Task<bool>>? contains,
        CancellationToken cancellationToken = default) =>
        status.Rollout is { } rollout && await IncludesAsync(rollout.Revision, revision, [], contains, cancellationToken);

    private static async Task<bool> IncludesAsync(string reported, string revision, Dictionary<string, bool> cache,
        Func<string, CancellationToken, Task<bool>>? contains, CancellationToken cancellationToken)
    {
        if (SameRevision(reported, revision)) return true;
        if (contains is null) return false;
        if (!cache.TryGetValue(reported, out var includes)) cache[reported] = includes = await contains(reported, cancellationToken);
        return includes;
    }

    private static string Describe(RolloutStatus? rollout) => rollout is null
        ? "none reported"
        : $"{rollout.Strategy} {rollout.Phase} at {rollout.Revision[..Math.Min(12, rollout.Revision.Length)]}, step {rollout.Step}/{rollout.StepCount}, canary {rollout.CanaryWeight}%";

    static bool SameRevision(string? reported, string expected) =>
        reported is not null && string.Equals(reported, expected, StringComparison.OrdinalIgnoreCase);

    public void Dispose()
    {
        if (ownsHttp) http.Dispose();
    }
}

public sealed class AgentUnavailableException(Uri baseAddress, string reason, Exception? inner = null) : Exception(
    $"The Slipway agent at {baseAddress} does not answer ({reason}). Start it with './build.sh Infrastructure' " +
    "and see .nuke/platform/agent.log.", inner);

public sealed class AgentOperatorTokenRejectedException(Uri baseAddress, string reason) : Exception(
    $"The Slipway agent at {baseAddress} refused the operator token ({reason.Trim()}). Use the token the agent was started with " +
    "(.nuke/platform/agent/operator-token, given to it as SLIPWAY_AGENT_OPERATOR_TOKEN); ./build.sh Infrastructure restarts the agent with it.");

/// <summary>The agent offers no rollback of the environment: it predates the rollback API, or follows other environments.</summary>
public sealed class AgentRollbackUnsupportedException(Uri baseAddress, string reason) : Exception(
    $"The Slipway agent at {baseAddress} offers no rollback of this environment ({reason.Trim()}).");

/// <summary>The agent could not commit the rollback (the config repo refused it); nothing was committed.</summary>
public sealed class AgentRollbackFailedException(Uri baseAddress, string reason) : Exception(
    $"The Slipway agent at {baseAddress} could not roll back: {reason.Trim()}");

public sealed class AgentWebhookRejectedException(Uri baseAddress, string reason) : Exception(
    $"The Slipway agent at {baseAddress} rejected the webhook signature ({reason.Trim()}). Use the same secret as the agent " +
    "(SLIPWAY_AGENT_WEBHOOK_SECRET).");

public sealed class AgentWaitException(string environment, string revision, EnvironmentStatus? lastStatus, string reason) : Exception(reason)
{
    public string Environment { get; } = environment;
    public string Revision { get; } = revision;
    public EnvironmentStatus? LastStatus { get; } = lastStatus;
}

/// <summary>The agent aborted the rollout (gate, preview smoke check or analysis failed), moved traffic back and reverted the commit.</summary>
public sealed class RolloutAbortedException(string environment, string revision, RolloutStatus rollout) : Exception(Describe(environment, revision, rollout))
{
    public string Environment { get; } = environment;
    public string Revision { get; } = revision;
    public RolloutStatus Rollout { get; } = rollout;

    private static string Describe(string environment, string revision, RolloutStatus rollout)
    {
        var failed = rollout.Analysis.Where(a => a.Verdict == AnalysisVerdict.Failed)
            .Select(a => $"step {a.Step} at {a.CanaryWeight}%: {a.Reason}")
            .Concat(rollout.Gates.Where(g => !g.Passed).Select(g => $"gate {g.Name}: {g.Message}"))
            .ToList();
        return $"The {rollout.Strategy} rollout of revision {revision} to '{environment}' was aborted: {rollout.Message ?? "no reason reported"}. " +
               (failed.Count > 0 ? $"Failed: {string.Join("; ", failed)}. " : "") +
               $"Traffic is back on {rollout.StableImageDigest ?? "the stable version"}; " +
               (rollout.RollbackRevision is { } revert ? $"the agent reverted the promotion in the config repo with {revert}." : "the agent reported no revert commit.");
    }
}
