using System.Globalization;
using System.Net;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Git;
using Slipway.Delivery.Oci;

namespace Slipway.Delivery.GitHub;

/// <summary>
/// Delivery through GitHub when the config repo lives there: promotion pull requests approved by review, automatic
/// merges once checks pass, a GitHub Deployment with statuses per deploy, commit statuses on the source commit, and
/// deployments read back for Metrics. Depends on <see cref="IGitHubClient"/> only.
/// </summary>
public sealed class GitHubDelivery
{
    /// <summary>The payload keys of Slipway's deployments (strings: Octokit's payload model).</summary>
    public static class PayloadKeys
    {
        public const string Image = "image";
        public const string Digest = "digest";
        public const string ConfigCommit = "config_commit";
        public const string SourceCommit = "source_commit";
        public const string SourceTime = "source_time";
        public const string SourceRepository = "source_repository";
        public const string Run = "run";
        public const string RollbackOf = "rollback_of";
        public const string ChangeType = "change_type";
        public const string FixOf = "fix_of";
    }

    /// <summary>The commit-status context for an environment's outcome on the source commit: slipway/&lt;environment&gt;.</summary>
    public static string StatusContext(string environment) => $"slipway/{environment}";

    private readonly IGitHubClient client;
    private readonly GitHubOptions options;
    private readonly Serilog.ILogger log;
    private readonly TimeProvider time;

    public GitHubDelivery(IGitHubClient client, GitHubRepository configRepository, GitHubRepository? sourceRepository,
        GitHubOptions options, Serilog.ILogger log, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(configRepository);
        ArgumentNullException.ThrowIfNull(options);
        if (options.PollInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "PollInterval must be positive");
        this.client = client;
        ConfigRepository = configRepository;
        SourceRepository = sourceRepository;
        this.options = options;
        this.log = log.ForContext<GitHubDelivery>();
        time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The config repo on GitHub: pull requests and deployments live here.</summary>
    public GitHubRepository ConfigRepository { get; }

    /// <summary>The client these flows call, for readers that need GitHub's own records (Metrics reads deployment payloads).</summary>
    public IGitHubClient Client => client;

    /// <summary>The source repo on GitHub, where commit statuses go; null when it is elsewhere (statuses are then skipped).</summary>
    public GitHubRepository? SourceRepository { get; }

    /// <summary>
    /// The GitHub features for a config repo at <paramref name="configRepositoryUrl"/>, through Octokit; null (with one
    /// clear log line, not an error) when there is no token or the URL is not a repository on <see cref="GitHubOptions.Host"/>.
    /// </summary>
    public static GitHubDelivery? TryCreate(string configRepositoryUrl, string? sourceRepositoryUrl, GitHubOptions options, Serilog.ILogger log) =>
        TryCreate(configRepositoryUrl, sourceRepositoryUrl, options, log, () => new OctokitGitHubClient(options, log));

    /// <summary>As <see cref="TryCreate(string, string?, GitHubOptions, Serilog.ILogger)"/>, with a given client.</summary>
    public static GitHubDelivery? TryCreate(string configRepositoryUrl, string? sourceRepositoryUrl, GitHubOptions options, Serilog.ILogger log,
        Func<IGitHubClient> clientFactory, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!GitHubRepository.TryParse(configRepositoryUrl, options.Host, out var config, out var reason))
        {
            log.Information("GitHub features are off: the config repo {Url:l} is not a GitHub repository ({Reason:l}); promotions commit directly, no GitHub deployments or statuses",
                RemoteUrl.WithoutCredentials(configRepositoryUrl), reason);
            return null;
        }
        if (string.IsNullOrWhiteSpace(options.Token))
        {
            log.Information("GitHub features are off: the config repo {Repository} is on GitHub but no token was given (--github-token / GITHUB_TOKEN)", config);
            return null;
        }
        GitHubRepository? source = null;
        if (sourceRepositoryUrl is not null && !GitHubRepository.TryParse(sourceRepositoryUrl, options.Host, out source, out var sourceReason))
            log.Information("Commit statuses are off: the source repo {Url:l} is not a GitHub repository ({Reason:l})",
                RemoteUrl.WithoutCredentials(sourceRepositoryUrl), sourceReason);
        log.Information("GitHub features are on: pull requests and deployments in {Config}, commit statuses in {Source}",
            config, source?.ToString() ?? "(none)");
        return new GitHubDelivery(clientFactory(), config, source, options, log, timeProvider);
    }

    // ---------------------------------------------------------------- operations by pull request

    /// <summary>
    /// Opens the pull request of a promotion whose branch the caller pushed, its body the diff and the evidence. When
    /// the branch already has an open pull request (a re-run), that one is updated and returned.
    /// </summary>
    public async Task<PromotionPullRequest> OpenPromotionPullRequestAsync(PromotionPullRequestRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Trailers.Check();
        var body = PromotionPullRequestBody.Render(request);
        GitHubPullRequest pullRequest;
        try
        {
            pullRequest = await client.CreatePullRequestAsync(ConfigRepository,
                new GitHubNewPullRequest(request.Title, request.Branch, request.BaseBranch, body), cancellationToken);
            log.Information("Opened pull request #{Number} to promote {Image} to {Environment}: {Url:l}",
                pullRequest.Number, request.Trailers.Image, request.Environment, pullRequest.HtmlUrl);
        }
        catch (GitHubApiException exception) when (exception.StatusCode == HttpStatusCode.UnprocessableEntity &&
                                                   exception.Message.Contains("already exists", StringComparison.OrdinalIgnoreCase))
        {
            var existing = await client.FindOpenPullRequestAsync(ConfigRepository, request.Branch, cancellationToken)
                           ?? throw new GitHubDeliveryException(
                               $"GitHub says a pull request from {request.Branch} exists, but none is open in {ConfigRepository}; delete the branch or reopen its pull request");
            pullRequest = await client.UpdatePullRequestAsync(ConfigRepository, existing.Number, request.Title, body, cancellationToken);
            log.Information("Pull request #{Number} for {Branch:l} was already open; updated its description: {Url:l}",
                pullRequest.Number, request.Branch, pullRequest.HtmlUrl);
        }
        return new PromotionPullRequest(pullRequest.Number, pullRequest.HtmlUrl, request.Branch, request.BaseBranch, request.Title,
            pullRequest.Author, pullRequest.HeadSha, request.Trailers);
    }

    /// <summary>
    /// Rewrites a promotion pull request's description from <paramref name="request"/>: evidence that exists only after
    /// the merge (the canary analysis of the rollout it started) is added to the pull request reviewers read.
    /// </summary>
    public async Task UpdatePromotionPullRequestAsync(PromotionPullRequest pullRequest, PromotionPullRequestRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pullRequest);
        ArgumentNullException.ThrowIfNull(request);
        await client.UpdatePullRequestAsync(ConfigRepository, pullRequest.Number, request.Title, PromotionPullRequestBody.Render(request), cancellationToken);
        log.Information("Updated the description of pull request #{Number} with the rollout's evidence", pullRequest.Number);
    }

    /// <summary>
    /// Waits, at most <paramref name="timeout"/>, for the review that decides a manual promotion: an approval of the
    /// head by someone other than the author approves; a request for changes (or closing the pull request) rejects,
    /// with the reviewer's comment. Brief GitHub outages are waited out within the timeout.
    /// </summary>
    public async Task<ApprovalDecision> WaitForApprovalAsync(PromotionPullRequest pullRequest, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pullRequest);
        var started = time.GetTimestamp();
        log.Information("Waiting up to {Timeout:l} for an approving review of pull request #{Number} ({Url:l})",
            Format(timeout), pullRequest.Number, pullRequest.HtmlUrl);
        var lastReason = "no review was read";
        while (true)
        {
            try
            {
                var current = await client.GetPullRequestAsync(ConfigRepository, pullRequest.Number, cancellationToken);
                var reviews = await client.GetReviewsAsync(ConfigRepository, pullRequest.Number, cancellationToken);
                var decision = ReviewDecision.Decide(current, reviews);
                if (decision.Outcome != ApprovalOutcome.Pending)
                {
                    if (decision.IsApproved) log.Information("Promotion to {Environment} approved: {Reason:l}", pullRequest.Environment, decision.Reason);
                    else log.Warning("Promotion to {Environment} rejected: {Reason:l}", pullRequest.Environment, decision.Reason);
                    return decision;
                }
                if (decision.Reason != lastReason) log.Information("Pull request #{Number}: {Reason:l}", pullRequest.Number, decision.Reason);
                lastReason = decision.Reason;
            }
            catch (GitHubApiException exception) when (exception.IsTransient)
            {
                log.Warning("Reading the reviews of pull request #{Number} failed; trying again: {Problem:l}", pullRequest.Number, exception.Message);
            }

            if (!await PauseAsync(started, timeout, cancellationToken))
            {
                var reason = $"no decision on pull request #{pullRequest.Number} within {Format(timeout)} ({lastReason}); review it at {pullRequest.HtmlUrl} and run the promotion again";
                log.Warning("Promotion to {Environment} timed out: {Reason:l}", pullRequest.Environment, reason);
                return new ApprovalDecision(ApprovalOutcome.TimedOut, null, null, reason);
            }
        }
    }

    /// <summary>
    /// Merges a promotion pull request once every status and check run of its head is green (an automatic
    /// environment, or a manual one after approval), pinned to the head that was checked. Red: not merged, the failing
    /// checks named. Squash merges carry the trailers in the commit message so the config repo's history keeps them.
    /// </summary>
    public async Task<MergeDecision> MergeWhenChecksPassAsync(PromotionPullRequest pullRequest, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pullRequest);
        var started = time.GetTimestamp();
        long? noChecksSince = null;
        var lastWaiting = "";
        log.Information("Waiting up to {Timeout:l} for the checks of pull request #{Number} to pass, then merging ({Method:l})",
            Format(timeout), pullRequest.Number, options.MergeMethod);
        while (true)
        {
            try
            {
                var current = await client.GetPullRequestAsync(ConfigRepository, pullRequest.Number, cancellationToken);
                if (current.State == GitHubPullRequestState.Merged)
                {
                    log.Information("Pull request #{Number} was already merged as {Sha}", current.Number, current.MergeCommitSha);
                    return new MergeDecision(MergeOutcome.Merged, current.MergeCommitSha, [], $"pull request #{current.Number} was already merged");
                }
                if (current.State == GitHubPullRequestState.Closed)
                    throw new GitHubDeliveryException($"Pull request #{current.Number} was closed without merging; open a new promotion");

                var verdict = ChecksVerdict.Evaluate(await client.GetChecksAsync(ConfigRepository, current.HeadSha, cancellationToken), options.RequiredChecks);
                if (verdict.Outcome == ChecksOutcome.Failed)
                {
                    var reason = $"checks failed on pull request #{current.Number} ({Short(current.HeadSha)}): {string.Join(", ", verdict.Failing)}";
                    log.Error("Not merging: {Reason:l}", reason);
                    return new MergeDecision(MergeOutcome.ChecksFailed, null, verdict.Failing, reason);
                }

                var noChecksAtAll = verdict.Checks.Count == 0 && options.RequiredChecks.Count == 0;
                noChecksSince = noChecksAtAll ? noChecksSince ?? time.GetTimestamp() : null;
                var ready = verdict.Outcome == ChecksOutcome.Passed ||
                            noChecksAtAll && time.GetElapsedTime(noChecksSince!.Value) >= options.NoChecksGracePeriod;
                if (ready)
                {
                    if (noChecksAtAll)
                        log.Information("No status or check run reported on {Sha} within {Grace:l}: merging without checks (set RequiredChecks to demand some)",
                            Short(current.HeadSha), Format(options.NoChecksGracePeriod));
                    else
                        log.Information("All {Count} check(s) passed on {Sha}: {Checks:l}", verdict.Checks.Count, Short(current.HeadSha),
                            string.Join(", ", verdict.Checks.Select(check => check.Name)));
                    return await MergeAsync(pullRequest, current, cancellationToken);
                }

                var waiting = noChecksAtAll ? "no checks reported yet" : string.Join(", ", verdict.Waiting);
                if (waiting != lastWaiting) log.Information("Pull request #{Number}: waiting for {Checks:l}", current.Number, waiting);
                lastWaiting = waiting;
            }
            catch (GitHubApiException exception) when (exception.IsTransient)
            {
                log.Warning("Reading the checks of pull request #{Number} failed; trying again: {Problem:l}", pullRequest.Number, exception.Message);
            }

            if (!await PauseAsync(started, timeout, cancellationToken))
            {
                var reason = $"the checks of pull request #{pullRequest.Number} did not finish within {Format(timeout)} (waiting for {(lastWaiting.Length == 0 ? "an answer from GitHub" : lastWaiting)})";
                log.Warning("Not merging: {Reason:l}", reason);
                return new MergeDecision(MergeOutcome.TimedOut, null, [], reason);
            }
        }
    }

    private async Task<MergeDecision> MergeAsync(PromotionPullRequest pullRequest, GitHubPullRequest current, CancellationToken cancellationToken)
    {
        // A squash commit gets only the message given here: the trailers must be in it or DORA metrics lose the deploy.
        // A merge commit keeps the branch's commit (with its trailers) and must not repeat them, or the deploy would count twice.
        var request = options.MergeMethod == GitHubMergeMethod.Squash
            ? new GitHubMergeRequest(current.Number, current.HeadSha, GitHubMergeMethod.Squash,
                $"{pullRequest.Title} (#{current.Number})", string.Join('\n', pullRequest.Trailers.ToLines()))
            : new GitHubMergeRequest(current.Number, current.HeadSha, GitHubMergeMethod.Merge,
                $"Merge pull request #{current.Number} from {pullRequest.Branch}", pullRequest.Title);
        var merged = await client.MergePullRequestAsync(ConfigRepository, request, cancellationToken);
        if (!merged.Merged || merged.Sha.Length == 0)
            throw new GitHubDeliveryException($"GitHub did not merge pull request #{current.Number}: {merged.Message}");
        log.Information("Merged pull request #{Number} ({Method:l}) as {Sha}", current.Number, request.Method, Short(merged.Sha));

        if (options.DeleteBranchAfterMerge)
        {
            try { await client.DeleteBranchAsync(ConfigRepository, pullRequest.Branch, cancellationToken); }
            catch (GitHubApiException exception)
            {
                // The promotion is done; a leftover branch is untidy, not wrong.
                log.Warning("Merged, but could not delete branch {Branch:l}: {Problem:l}", pullRequest.Branch, exception.Message);
            }
        }
        return new MergeDecision(MergeOutcome.Merged, merged.Sha, [], $"pull request #{current.Number} merged as {Short(merged.Sha)}");
    }

    // ---------------------------------------------------------------- deployments

    /// <summary>
    /// Creates the GitHub Deployment of one deploy and marks it in_progress. Its ref is the config commit (what the
    /// agent applies; it exists in this repository), its payload the image digest and the source commit and time (what
    /// lead-time tools need); auto_merge is off and required_contexts empty so GitHub never refuses it over statuses.
    /// </summary>
    public async Task<GitHubDeploymentHandle> StartDeploymentAsync(DeploymentNotice notice, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notice);
        ArgumentException.ThrowIfNullOrWhiteSpace(notice.ConfigCommit, nameof(notice.ConfigCommit));
        var trailers = notice.Trailers;
        trailers.Check();
        var payload = new Dictionary<string, string>
        {
            [PayloadKeys.Image] = trailers.Image,
            [PayloadKeys.Digest] = ImageDigest.Of(trailers.Image).Value,
            [PayloadKeys.ConfigCommit] = notice.ConfigCommit,
            [PayloadKeys.SourceCommit] = trailers.SourceCommit,
            [PayloadKeys.SourceTime] = DeploymentTrailers.FormatTime(trailers.SourceTime),
            [PayloadKeys.Run] = trailers.Run,
        };
        if (SourceRepository is not null) payload[PayloadKeys.SourceRepository] = SourceRepository.ToString();
        if (trailers.RollbackOf is not null) payload[PayloadKeys.RollbackOf] = trailers.RollbackOf;
        if (trailers.ChangeType is not null) payload[PayloadKeys.ChangeType] = trailers.ChangeType;
        if (trailers.FixOf is not null) payload[PayloadKeys.FixOf] = trailers.FixOf;

        var description = trailers.RollbackOf is null
            ? $"Slipway deploys {PromotionBranch.ShortDigest(trailers.Image)} (source {Short(trailers.SourceCommit)})"
            : $"Slipway rolls back {Short(trailers.RollbackOf)} to {PromotionBranch.ShortDigest(trailers.Image)}";
        var id = await client.CreateDeploymentAsync(ConfigRepository, new GitHubNewDeployment(notice.ConfigCommit, trailers.Environment,
            description, payload, ProductionEnvironment: trailers.Environment == "production"), cancellationToken);
        var handle = new GitHubDeploymentHandle(id, trailers.Environment, notice.ConfigCommit, notice.EnvironmentUrl, notice.LogUrl);
        log.Information("GitHub deployment {Id} of {Ref} to {Environment} created", id, Short(notice.ConfigCommit), trailers.Environment);
        await ReportDeploymentAsync(handle, GitHubDeploymentState.InProgress, description, cancellationToken);
        return handle;
    }

    /// <summary>Posts a deployment status (success, failure, …) with the environment and log URLs of the deploy.</summary>
    public async Task ReportDeploymentAsync(GitHubDeploymentHandle deployment, GitHubDeploymentState state, string description, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        await client.CreateDeploymentStatusAsync(ConfigRepository, deployment.Id,
            new GitHubNewDeploymentStatus(state, description, deployment.EnvironmentUrl, deployment.LogUrl), cancellationToken);
        log.Information("GitHub deployment {Id} to {Environment}: {State} ({Description:l})", deployment.Id, deployment.Environment, state, description);
    }

    /// <summary>
    /// Runs one deploy (<paramref name="deploy"/>: wait until the environment serves the config commit) inside a GitHub
    /// Deployment and the slipway/&lt;environment&gt; status of the source commit: in_progress and pending before,
    /// success or failure after. GitHub being unreachable is a warning, never the deploy's failure (Git, not GitHub,
    /// decides what runs); the deploy's own failure is reported, then rethrown.
    /// </summary>
    public async Task<T> TrackDeploymentAsync<T>(DeploymentNotice notice, Func<CancellationToken, Task<T>> deploy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notice);
        ArgumentNullException.ThrowIfNull(deploy);
        var environment = notice.Trailers.Environment;
        var sourceCommit = notice.Trailers.SourceCommit;
        var what = notice.Trailers.RollbackOf is null ? "deploy" : "rollback";
        var deployment = await BestEffortAsync("create the GitHub deployment", () => StartDeploymentAsync(notice, cancellationToken));
        await BestEffortAsync("set the pending commit status", () => ReportSourceStatusAsync(sourceCommit, environment, GitHubCommitState.Pending,
            $"{what} to {environment} in progress", notice.LogUrl, cancellationToken));
        T result;
        try
        {
            result = await deploy(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            var failure = Describe($"{what} to {environment} failed: {exception.Message}");
            if (deployment is not null)
                await BestEffortAsync("report the failed deployment", () => ReportDeploymentAsync(deployment, GitHubDeploymentState.Failure, failure, CancellationToken.None));
            await BestEffortAsync("set the failure commit status", () => ReportSourceStatusAsync(sourceCommit, environment, GitHubCommitState.Failure,
                failure, notice.LogUrl, CancellationToken.None));
            throw;
        }
        var success = Describe($"{environment} serves {PromotionBranch.ShortDigest(notice.Trailers.Image)} at {Short(notice.ConfigCommit)}");
        if (deployment is not null)
            await BestEffortAsync("report the successful deployment", () => ReportDeploymentAsync(deployment, GitHubDeploymentState.Success, success, cancellationToken));
        await BestEffortAsync("set the success commit status", () => ReportSourceStatusAsync(sourceCommit, environment, GitHubCommitState.Success,
            success, notice.LogUrl, cancellationToken));
        return result;
    }

    private async Task<TResult?> BestEffortAsync<TResult>(string action, Func<Task<TResult>> call)
    {
        try { return await call(); }
        catch (GitHubApiException exception)
        {
            log.Warning("Could not {Action:l} on GitHub; the deploy goes on: {Problem:l}", action, exception.Message);
            return default;
        }
    }

    private async Task BestEffortAsync(string action, Func<Task> call) =>
        await BestEffortAsync(action, async () => { await call(); return true; });

    /// <summary>GitHub keeps status descriptions to 140 characters.</summary>
    private static string Describe(string text) => text.Length <= 140 ? text : text[..139] + "…";

    // ---------------------------------------------------------------- commit statuses

    /// <summary>
    /// Sets the slipway/&lt;environment&gt; status on the source commit (pending while delivering, success or failure
    /// after, error when the pipeline itself broke). False, with a log line, when the source repo is not on GitHub.
    /// </summary>
    public async Task<bool> ReportSourceStatusAsync(string sourceCommit, string environment, GitHubCommitState state, string description,
        Uri? targetUrl = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceCommit);
        ArgumentException.ThrowIfNullOrWhiteSpace(environment);
        if (SourceRepository is null)
        {
            log.Debug("No source repository on GitHub: status {Context} not set", StatusContext(environment));
            return false;
        }
        await client.CreateCommitStatusAsync(SourceRepository, sourceCommit,
            new GitHubNewCommitStatus(state, StatusContext(environment), description, targetUrl), cancellationToken);
        log.Information("Status {Context} = {State} on {Sha} of {Repository}", StatusContext(environment), state, Short(sourceCommit), SourceRepository);
        return true;
    }

    // ---------------------------------------------------------------- reading deployments for Metrics

    /// <summary>
    /// The newest <paramref name="maxCount"/> deployments to <paramref name="environment"/>, newest first, each with
    /// its final state and the time it went live, read from GitHub (one request per deployment for its statuses).
    /// </summary>
    public async Task<IReadOnlyList<GitHubDeploymentRecord>> ReadDeploymentsAsync(string environment, int maxCount = 100, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(environment);
        var deployments = await client.GetDeploymentsAsync(ConfigRepository, environment, maxCount, cancellationToken);
        var records = new List<GitHubDeploymentRecord>(deployments.Count);
        foreach (var deployment in deployments)
        {
            var statuses = await client.GetDeploymentStatusesAsync(ConfigRepository, deployment.Id, cancellationToken);
            records.Add(ToRecord(deployment, statuses));
        }
        log.Information("Read {Count} GitHub deployment(s) to {Environment} from {Repository}", records.Count, environment, ConfigRepository);
        return records;
    }

    /// <summary>Reduces a deployment and its statuses to the neutral record (pure; public for Metrics' tests).</summary>
    public static GitHubDeploymentRecord ToRecord(GitHubDeployment deployment, IReadOnlyList<GitHubDeploymentStatus> statuses)
    {
        var ordered = statuses.OrderBy(status => status.CreatedAt).ThenBy(status => status.Id).ToList();
        var latest = ordered.LastOrDefault();
        var firstSuccess = ordered.FirstOrDefault(status => status.State == GitHubDeploymentState.Success);
        var payload = deployment.Payload;
        DateTimeOffset? sourceTime = payload.TryGetValue(PayloadKeys.SourceTime, out var text) &&
                                     DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
            ? parsed
            : null;
        return new GitHubDeploymentRecord(
            deployment.Id,
            deployment.Environment,
            deployment.Sha,
            deployment.Ref,
            payload.GetValueOrDefault(PayloadKeys.Image),
            payload.GetValueOrDefault(PayloadKeys.SourceCommit),
            sourceTime,
            latest?.State ?? GitHubDeploymentState.Pending,
            firstSuccess is not null,
            firstSuccess?.CreatedAt,
            deployment.CreatedAt,
            latest is null || latest.CreatedAt < deployment.UpdatedAt ? deployment.UpdatedAt : latest.CreatedAt,
            ordered.LastOrDefault(status => !string.IsNullOrEmpty(status.EnvironmentUrl))?.EnvironmentUrl);
    }

    /// <summary>Sleeps one poll interval (less when the deadline is nearer); false once the deadline has passed.</summary>
    private async Task<bool> PauseAsync(long started, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var remaining = timeout - time.GetElapsedTime(started);
        if (remaining <= TimeSpan.Zero) return false;
        await Task.Delay(remaining < options.PollInterval ? remaining : options.PollInterval, time, cancellationToken);
        return true;
    }

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] : sha;

    private static string Format(TimeSpan span) =>
        span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0.###} s";
}
