using System.Collections.ObjectModel;
using System.Net;
using Octokit;
using Polly;
using Polly.Retry;

namespace Slipway.Delivery.GitHub;

/// <summary>
/// <see cref="IGitHubClient"/> through Octokit: token authentication, any API address (github.com, GitHub Enterprise
/// Server, a simulation). Calls that are safe to repeat (reads, statuses) are retried on 5xx and on no answer; creating
/// pull requests and deployments and merging are not (a retry could duplicate them). Octokit takes no cancellation
/// token: a cancelled call stops being awaited, the request itself runs to its timeout.
/// </summary>
public sealed class OctokitGitHubClient : IGitHubClient
{
    private readonly GitHubClient client;
    private readonly ApiConnection api;
    private readonly string token;
    private readonly Serilog.ILogger log;
    private readonly ResiliencePipeline retry;

    public OctokitGitHubClient(GitHubOptions options, Serilog.ILogger log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Token, nameof(options.Token));
        token = options.Token;
        this.log = log.ForContext<OctokitGitHubClient>();
        client = new GitHubClient(new ProductHeaderValue("slipway"), options.EffectiveApiBaseAddress)
        {
            Credentials = new Credentials(options.Token),
        };
        client.SetRequestTimeout(options.RequestTimeout);
        api = new ApiConnection(client.Connection);
        retry = options.MaxAttempts <= 1
            ? ResiliencePipeline.Empty
            : new ResiliencePipelineBuilder()
                .AddRetry(new RetryStrategyOptions
                {
                    ShouldHandle = new PredicateBuilder().Handle<GitHubApiException>(exception => exception.IsTransient),
                    MaxRetryAttempts = options.MaxAttempts - 1,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = options.RetryDelay,
                    OnRetry = arguments =>
                    {
                        this.log.Warning("GitHub call failed ({Problem:l}); attempt {Attempt} of {Max} in {Delay:0} ms",
                            arguments.Outcome.Exception?.Message, arguments.AttemptNumber + 2, options.MaxAttempts,
                            arguments.RetryDelay.TotalMilliseconds);
                        return ValueTask.CompletedTask;
                    },
                })
                .Build();
    }

    /// <summary>The address requests go to (Octokit has already appended /api/v3/ for a non-github.com host).</summary>
    public Uri BaseAddress => client.BaseAddress;

    public Task<GitHubPullRequest> CreatePullRequestAsync(GitHubRepository repository, GitHubNewPullRequest request, CancellationToken cancellationToken = default) =>
        CallAsync($"open a pull request from {request.HeadBranch} into {request.BaseBranch} of {repository}", repeatable: false, async () =>
            ToModel(await client.PullRequest.Create(repository.Owner, repository.Name,
                new NewPullRequest(request.Title, request.HeadBranch, request.BaseBranch) { Body = request.Body })),
            "check that the branch was pushed and the token may write pull requests", cancellationToken);

    public Task<GitHubPullRequest?> FindOpenPullRequestAsync(GitHubRepository repository, string headBranch, CancellationToken cancellationToken = default) =>
        CallAsync($"find the open pull request of {headBranch} in {repository}", repeatable: true, async () =>
        {
            var found = await client.PullRequest.GetAllForRepository(repository.Owner, repository.Name,
                new PullRequestRequest { State = ItemStateFilter.Open, Head = $"{repository.Owner}:{headBranch}" });
            return found.Count == 0 ? null : ToModel(found[0]);
        }, "check the repository name and the token's read access", cancellationToken);

    public Task<GitHubPullRequest> UpdatePullRequestAsync(GitHubRepository repository, int number, string title, string body, CancellationToken cancellationToken = default) =>
        CallAsync($"update pull request #{number} of {repository}", repeatable: true, async () =>
            ToModel(await client.PullRequest.Update(repository.Owner, repository.Name, number, new PullRequestUpdate { Title = title, Body = body })),
            "check that the token may write pull requests", cancellationToken);

    public Task<GitHubPullRequest> GetPullRequestAsync(GitHubRepository repository, int number, CancellationToken cancellationToken = default) =>
        CallAsync($"read pull request #{number} of {repository}", repeatable: true, async () =>
            ToModel(await client.PullRequest.Get(repository.Owner, repository.Name, number)),
            "check the pull request number and the token's read access", cancellationToken);

    public Task<IReadOnlyList<GitHubReview>> GetReviewsAsync(GitHubRepository repository, int number, CancellationToken cancellationToken = default) =>
        CallAsync($"read the reviews of pull request #{number} of {repository}", repeatable: true, async () =>
        {
            var reviews = await client.PullRequest.Review.GetAll(repository.Owner, repository.Name, number, new ApiOptions { PageSize = 100 });
            return (IReadOnlyList<GitHubReview>)reviews.Select(review => new GitHubReview(
                review.Id,
                review.User?.Login ?? "",
                MapReviewState(review.State),
                review.Body ?? "",
                review.CommitId,
                review.SubmittedAt == default ? null : review.SubmittedAt)).ToList();
        }, "check the token's read access to pull requests", cancellationToken);

    public Task<IReadOnlyList<GitHubCheck>> GetChecksAsync(GitHubRepository repository, string reference, CancellationToken cancellationToken = default) =>
        CallAsync($"read the statuses and check runs of {Short(reference)} in {repository}", repeatable: true, async () =>
        {
            var combined = await client.Repository.Status.GetCombined(repository.Owner, repository.Name, reference);
            var runs = await client.Check.Run.GetAllForReference(repository.Owner, repository.Name, reference,
                new CheckRunRequest { Filter = CheckRunCompletedAtFilter.Latest }, new ApiOptions { PageSize = 100 });
            var checks = new List<GitHubCheck>();
            foreach (var status in combined.Statuses ?? [])
                checks.Add(new GitHubCheck(status.Context ?? "", GitHubCheckKind.Status, MapStatusState(status.State),
                    string.IsNullOrEmpty(status.Description) ? status.State.StringValue : status.Description, status.TargetUrl));
            // Re-runs leave several runs with one name; the latest (highest id) decides.
            foreach (var run in (runs.CheckRuns ?? []).GroupBy(run => run.Name).Select(group => group.MaxBy(run => run.Id)!))
                checks.Add(new GitHubCheck(run.Name ?? "", GitHubCheckKind.CheckRun, MapRunState(run),
                    run.Conclusion?.StringValue ?? run.Status.StringValue, run.HtmlUrl ?? run.DetailsUrl));
            return (IReadOnlyList<GitHubCheck>)checks;
        }, "check the commit exists and the token may read statuses and checks", cancellationToken);

    public Task<GitHubMergeResult> MergePullRequestAsync(GitHubRepository repository, GitHubMergeRequest request, CancellationToken cancellationToken = default) =>
        CallAsync($"merge pull request #{request.Number} of {repository}", repeatable: false, async () =>
        {
            var merged = await client.PullRequest.Merge(repository.Owner, repository.Name, request.Number, new MergePullRequest
            {
                Sha = request.HeadSha,
                MergeMethod = request.Method == GitHubMergeMethod.Squash ? PullRequestMergeMethod.Squash : PullRequestMergeMethod.Merge,
                CommitTitle = request.CommitTitle,
                CommitMessage = request.CommitMessage,
            });
            return new GitHubMergeResult(merged.Merged, merged.Sha ?? "", merged.Message ?? "");
        }, "405: branch protection or a conflict blocks the merge (see the pull request); 409: the branch moved after it was checked", cancellationToken);

    public Task DeleteBranchAsync(GitHubRepository repository, string branch, CancellationToken cancellationToken = default) =>
        CallAsync($"delete branch {branch} of {repository}", repeatable: true, async () =>
        {
            await client.Git.Reference.Delete(repository.Owner, repository.Name, $"heads/{branch}");
            return true;
        }, "check that the token may write contents", cancellationToken);

    public Task<long> CreateDeploymentAsync(GitHubRepository repository, GitHubNewDeployment deployment, CancellationToken cancellationToken = default) =>
        CallAsync($"create a deployment of {Short(deployment.Ref)} to {deployment.Environment} in {repository}", repeatable: false, async () =>
        {
            var created = await client.Repository.Deployment.Create(repository.Owner, repository.Name, new NewDeployment(deployment.Ref)
            {
                Environment = deployment.Environment,
                Description = deployment.Description,
                Payload = new Dictionary<string, string>(deployment.Payload),
                // Slipway already decided what to deploy: no merge of the default branch, no status gate on the ref.
                AutoMerge = false,
                RequiredContexts = new Collection<string>(),
                ProductionEnvironment = deployment.ProductionEnvironment,
                TransientEnvironment = false,
            });
            return created.Id;
        }, "check that the ref exists in the repository and the token may write deployments", cancellationToken);

    public Task CreateDeploymentStatusAsync(GitHubRepository repository, long deploymentId, GitHubNewDeploymentStatus status, CancellationToken cancellationToken = default) =>
        CallAsync($"report deployment {deploymentId} of {repository} as {Wire(status.State)}", repeatable: true, async () =>
        {
            await client.Repository.Deployment.Status.Create(repository.Owner, repository.Name, deploymentId,
                new NewDeploymentStatus(MapDeploymentState(status.State))
                {
                    Description = Truncate(status.Description, 140),
                    EnvironmentUrl = status.EnvironmentUrl?.ToString(),
                    LogUrl = status.LogUrl?.ToString(),
                });
            return true;
        }, "check that the token may write deployments", cancellationToken);

    public Task<IReadOnlyList<GitHubDeployment>> GetDeploymentsAsync(GitHubRepository repository, string environment, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        return CallAsync($"list the deployments to {environment} in {repository}", repeatable: true, async () =>
        {
            // Octokit's typed client has no environment filter; its paging connection takes the query parameter.
            var pageSize = Math.Min(100, maxCount);
            var deployments = await api.GetAll<Deployment>(ApiUrls.Deployments(repository.Owner, repository.Name),
                new Dictionary<string, string> { ["environment"] = environment },
                new ApiOptions { PageSize = pageSize, PageCount = (maxCount + pageSize - 1) / pageSize });
            return (IReadOnlyList<GitHubDeployment>)deployments.Take(maxCount).Select(deployment => new GitHubDeployment(
                deployment.Id,
                deployment.Sha ?? "",
                deployment.Ref ?? "",
                deployment.Environment ?? environment,
                deployment.Creator?.Login,
                deployment.Payload is null ? new Dictionary<string, string>() : new Dictionary<string, string>(deployment.Payload),
                deployment.CreatedAt,
                deployment.UpdatedAt)).ToList();
        }, "check the repository name and the token's read access to deployments", cancellationToken);
    }

    public Task<IReadOnlyList<GitHubDeploymentStatus>> GetDeploymentStatusesAsync(GitHubRepository repository, long deploymentId, CancellationToken cancellationToken = default) =>
        CallAsync($"read the statuses of deployment {deploymentId} of {repository}", repeatable: true, async () =>
        {
            var statuses = await client.Repository.Deployment.Status.GetAll(repository.Owner, repository.Name, deploymentId, new ApiOptions { PageSize = 100 });
            return (IReadOnlyList<GitHubDeploymentStatus>)statuses.Select(status => new GitHubDeploymentStatus(
                status.Id,
                MapDeploymentState(status.State),
                status.Description ?? "",
                status.EnvironmentUrl,
                status.LogUrl,
                status.CreatedAt)).ToList();
        }, "check the token's read access to deployments", cancellationToken);

    public Task CreateCommitStatusAsync(GitHubRepository repository, string sha, GitHubNewCommitStatus status, CancellationToken cancellationToken = default) =>
        CallAsync($"set status {status.Context} on {Short(sha)} of {repository}", repeatable: true, async () =>
        {
            await client.Repository.Status.Create(repository.Owner, repository.Name, sha, new NewCommitStatus
            {
                State = status.State switch
                {
                    GitHubCommitState.Pending => CommitState.Pending,
                    GitHubCommitState.Success => CommitState.Success,
                    GitHubCommitState.Failure => CommitState.Failure,
                    _ => CommitState.Error,
                },
                Context = status.Context,
                Description = Truncate(status.Description, 140),
                TargetUrl = status.TargetUrl?.ToString(),
            });
            return true;
        }, "check that the commit exists in the repository and the token may write statuses", cancellationToken);

    /// <summary>Runs one Octokit call (retried when repeatable), turning its failures into a <see cref="GitHubApiException"/>.</summary>
    private async Task<T> CallAsync<T>(string operation, bool repeatable, Func<Task<T>> call, string hint, CancellationToken cancellationToken)
    {
        async ValueTask<T> Once(CancellationToken token)
        {
            try
            {
                return await call().WaitAsync(token);
            }
            catch (ApiException exception)
            {
                var rateLimited = exception is RateLimitExceededException or SecondaryRateLimitExceededException ||
                                  exception.StatusCode == HttpStatusCode.TooManyRequests;
                var fix = exception.StatusCode switch
                {
                    HttpStatusCode.Unauthorized => "the token is invalid or expired; pass a valid one (--github-token)",
                    HttpStatusCode.NotFound => "the repository or object was not found, or the token cannot see it; " + hint,
                    _ when rateLimited => "GitHub's rate limit was hit; wait or use a token with a higher limit",
                    _ => hint,
                };
                throw new GitHubApiException(
                    Mask($"GitHub could not {operation}: {(int)exception.StatusCode} {exception.StatusCode}: {Describe(exception)}; {fix}"),
                    exception.StatusCode, rateLimited || (int)exception.StatusCode >= 500);
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !token.IsCancellationRequested)
            {
                throw new GitHubApiException(
                    Mask($"GitHub could not {operation}: no answer from {client.BaseAddress} ({exception.Message}); check the API address and the network"),
                    statusCode: null, isTransient: true);
            }
        }

        return repeatable
            ? await retry.ExecuteAsync(Once, cancellationToken)
            : await Once(cancellationToken);
    }

    /// <summary>GitHub's message and its per-field errors (a 422 says which field was wrong).</summary>
    private static string Describe(ApiException exception)
    {
        var message = exception.ApiError?.Message ?? exception.Message;
        var errors = exception.ApiError?.Errors?
            .Select(error => error.Message ?? $"{error.Field} {error.Code}".Trim())
            .Where(text => !string.IsNullOrWhiteSpace(text))
            .ToList();
        return errors is { Count: > 0 } ? $"{message} ({string.Join("; ", errors)})" : message;
    }

    // GitHub never echoes the token, but a proxy or a misconfigured server might: keep it out of every message.
    private string Mask(string text) => text.Replace(token, "***", StringComparison.Ordinal);

    private static string Short(string reference) => reference.Length == 40 ? reference[..12] : reference;

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    private static string Wire(GitHubDeploymentState state) => state switch
    {
        GitHubDeploymentState.InProgress => "in_progress",
        _ => state.ToString().ToLowerInvariant(),
    };

    private static GitHubPullRequest ToModel(PullRequest pullRequest) => new(
        pullRequest.Number,
        pullRequest.Title ?? "",
        pullRequest.HtmlUrl ?? "",
        pullRequest.Head?.Ref ?? "",
        pullRequest.Head?.Sha ?? "",
        pullRequest.Base?.Ref ?? "",
        pullRequest.User?.Login ?? "",
        pullRequest.Merged ? GitHubPullRequestState.Merged
            : pullRequest.State.TryParse(out var state) && state == ItemState.Closed ? GitHubPullRequestState.Closed
            : GitHubPullRequestState.Open,
        pullRequest.MergeCommitSha);

    private static GitHubReviewState MapReviewState(StringEnum<PullRequestReviewState> state) =>
        state.TryParse(out var parsed)
            ? parsed switch
            {
                PullRequestReviewState.Approved => GitHubReviewState.Approved,
                PullRequestReviewState.ChangesRequested => GitHubReviewState.ChangesRequested,
                PullRequestReviewState.Dismissed => GitHubReviewState.Dismissed,
                PullRequestReviewState.Pending => GitHubReviewState.Pending,
                _ => GitHubReviewState.Commented,
            }
            : GitHubReviewState.Commented;

    private static GitHubCheckState MapStatusState(StringEnum<CommitState> state) =>
        state.TryParse(out var parsed)
            ? parsed switch
            {
                CommitState.Success => GitHubCheckState.Success,
                CommitState.Pending => GitHubCheckState.Pending,
                _ => GitHubCheckState.Failure,
            }
            : GitHubCheckState.Pending;

    private static GitHubCheckState MapRunState(CheckRun run)
    {
        if (!run.Status.TryParse(out var status) || status != CheckStatus.Completed || run.Conclusion is null) return GitHubCheckState.Pending;
        if (!run.Conclusion.Value.TryParse(out var conclusion)) return GitHubCheckState.Failure;
        return conclusion is CheckConclusion.Success or CheckConclusion.Neutral or CheckConclusion.Skipped
            ? GitHubCheckState.Success
            : GitHubCheckState.Failure;
    }

    private static DeploymentState MapDeploymentState(GitHubDeploymentState state) => state switch
    {
        GitHubDeploymentState.Queued => DeploymentState.Queued,
        GitHubDeploymentState.Pending => DeploymentState.Pending,
        GitHubDeploymentState.InProgress => DeploymentState.InProgress,
        GitHubDeploymentState.Success => DeploymentState.Success,
        GitHubDeploymentState.Failure => DeploymentState.Failure,
        GitHubDeploymentState.Error => DeploymentState.Error,
        _ => DeploymentState.Inactive,
    };

    private static GitHubDeploymentState MapDeploymentState(StringEnum<DeploymentState> state) =>
        state.TryParse(out var parsed)
            ? parsed switch
            {
                DeploymentState.Queued => GitHubDeploymentState.Queued,
                DeploymentState.Pending => GitHubDeploymentState.Pending,
                DeploymentState.InProgress => GitHubDeploymentState.InProgress,
                DeploymentState.Success => GitHubDeploymentState.Success,
                DeploymentState.Failure => GitHubDeploymentState.Failure,
                DeploymentState.Error => GitHubDeploymentState.Error,
                _ => GitHubDeploymentState.Inactive,
            }
            : GitHubDeploymentState.Error;
}
