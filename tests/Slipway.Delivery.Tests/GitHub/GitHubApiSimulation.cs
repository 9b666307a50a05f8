using System.Text.Json.Nodes;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using Slipway.Testing;

namespace Slipway.Delivery.Tests.GitHub;

/// <summary>
/// A simulation of the GitHub REST API endpoints Slipway calls (WireMock.Net on 127.0.0.1, a free port), answering with
/// the JSON shapes GitHub documents. Octokit, given a base address that is not github.com, speaks the GitHub Enterprise
/// Server layout: every path starts with /api/v3/. Each request is recorded for the test to assert on.
/// </summary>
public sealed partial class GitHubApiSimulation : IDisposable
{
    public const string Owner = "acme";
    public const string Repo = "config";
    public const string SourceRepo = "beacon";
    public const string Author = "slipway-bot";

    private readonly WireMockServer server;
    private int scenarios;

    public GitHubApiSimulation()
    {
        // Bind to 127.0.0.1 only, on a port that was free a moment ago; another test may grab it first, so try again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                server = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{FreePort.Next()}"] });
                break;
            }
            catch (Exception) when (attempt < 5) { }
        }
        BaseAddress = new Uri(server.Url! + "/");
    }

    /// <summary>What Slipway is configured with (GitHubOptions.ApiBaseAddress); Octokit appends api/v3/.</summary>
    public Uri BaseAddress { get; }

    public static string RepoPath(string repo = Repo) => $"/api/v3/repos/{Owner}/{repo}";

    // ------------------------------------------------------------ pull requests

    public void PullRequestCreated(int number, string branch, string headSha, string baseBranch = "main") =>
        Stub(Request.Create().WithPath($"{RepoPath()}/pulls").UsingPost(), 201, PullRequestJson(number, branch, headSha, baseBranch, "open", merged: false));

    public void PullRequestCreationFails(int status, string message, params string[] errorMessages) =>
        Stub(Request.Create().WithPath($"{RepoPath()}/pulls").UsingPost(), status, new JsonObject
        {
            ["message"] = message,
            ["errors"] = new JsonArray(errorMessages.Select(text => (JsonNode)new JsonObject { ["resource"] = "PullRequest", ["code"] = "custom", ["message"] = text }).ToArray()),
            ["documentation_url"] = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
        });

    public void OpenPullRequestsOfBranch(string branch, int number, string headSha) =>
        Stub(Request.Create().WithPath($"{RepoPath()}/pulls").WithParam("head", $"{Owner}:{branch}").WithParam("state", "open").UsingGet(), 200,
            new JsonArray(PullRequestJson(number, branch, headSha, "main", "open", merged: false)));

    public void PullRequestUpdated(int number, string branch, string headSha) =>
        Stub(Request.Create().WithPath($"{RepoPath()}/pulls/{number}").UsingPatch(), 200, PullRequestJson(number, branch, headSha, "main", "open", merged: false));

    /// <summary>GET pulls/{number}: each state served once in order, the last one from then on.</summary>
    public void PullRequestStates(int number, string branch, string headSha, params (string State, bool Merged, string? MergeSha)[] states) =>
        Sequence(Request.Create().WithPath($"{RepoPath()}/pulls/{number}").UsingGet(),
            states.Select(state => (200, (JsonNode)PullRequestJson(number, branch, headSha, "main", state.State, state.Merged, state.MergeSha))).ToArray());

    /// <summary>GET pulls/{number}/reviews: each list served once in order, the last one from then on; none: no review.</summary>
    public void Reviews(int number, params JsonArray[] lists) =>
        Sequence(Request.Create().WithPath($"{RepoPath()}/pulls/{number}/reviews").UsingGet(), (lists.Length == 0 ? [[]] : lists).Select(list => (200, (JsonNode)list)).ToArray());

    /// <summary>GET pulls/{number}/reviews answers 502 <paramref name="failures"/> times (GitHub having a bad minute), then the list.</summary>
    public void ReviewsAfterOutage(int number, int failures, JsonArray reviews) =>
        Sequence(Request.Create().WithPath($"{RepoPath()}/pulls/{number}/reviews").UsingGet(),
            Enumerable.Repeat((502, (JsonNode)new JsonObject { ["message"] = "Server Error" }), failures)
                .Append((200, (JsonNode)reviews)).ToArray());

    public static JsonObject Review(long id, string reviewer, string state, string body, string commitId, DateTimeOffset submittedAt) => new()
    {
        ["id"] = id,
        ["node_id"] = $"PRR_{id}",
        ["user"] = User(reviewer),
        ["body"] = body,
        ["state"] = state,
        ["commit_id"] = commitId,
        ["html_url"] = $"https://github.com/{Owner}/{Repo}/pull/1#pullrequestreview-{id}",
        ["pull_request_url"] = $"https://api.github.com/repos/{Owner}/{Repo}/pulls/1",
        ["author_association"] = "MEMBER",
        ["submitted_at"] = submittedAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"),
    };

    // ------------------------------------------------------------ checks and merge

    /// <summary>GET commits/{sha}/status: each combined status served once in order, the last one from then on; none: no status.</summary>
    public void CombinedStatuses(string sha, params (string Context, string State)[][] rounds) =>
        Sequence(Request.Create().WithPath($"{RepoPath()}/commits/{sha}/status").UsingGet(),
            (rounds.Length == 0 ? [[]] : rounds).Select(statuses => (200, (JsonNode)CombinedStatusJson(sha, statuses))).ToArray());

    /// <summary>GitHub's combined status of a commit: failure if any failed, success if all succeeded, else pending.</summary>
    private static JsonObject CombinedStatusJson(string sha, (string Context, string State)[] statuses) => new()
    {
        ["state"] = statuses.Any(status => status.State is "failure" or "error") ? "failure"
            : statuses.Length > 0 && statuses.All(status => status.State == "success") ? "success" : "pending",
        ["sha"] = sha,
        ["total_count"] = statuses.Length,
        ["statuses"] = new JsonArray(statuses.Select((status, index) => (JsonNode)new JsonObject
        {
            ["id"] = index + 1,
            ["context"] = status.Context,
            ["state"] = status.State,
            ["description"] = $"{status.Context} is {status.State}",
            ["target_url"] = $"https://ci.example.com/{status.Context}",
            ["created_at"] = "2026-11-28T10:00:00Z",
            ["updated_at"] = "2026-11-28T10:00:00Z",
        }).ToArray()),
    };

    /// <summary>GET commits/{sha}/check-runs: each round served once in order, the last one from then on; none: no check run.</summary>
    public void CheckRuns(string sha, params (string Name, string Status, string? Conclusion)[][] rounds) =>
        Sequence(Request.Create().WithPath($"{RepoPath()}/commits/{sha}/check-runs").UsingGet(), (rounds.Length == 0 ? [[]] : rounds).Select(runs => (200, (JsonNode)new JsonObject
        {
            ["total_count"] = runs.Length,
            ["check_runs"] = new JsonArray(runs.Select((run, index) => (JsonNode)new JsonObject
            {
                ["id"] = 100 + index,
                ["head_sha"] = sha,
                ["name"] = run.Name,
                ["status"] = run.Status,
                ["conclusion"] = run.Conclusion,
                ["html_url"] = $"https://github.com/{Owner}/{Repo}/runs/{100 + index}",
                ["started_at"] = "2026-11-28T10:00:00Z",
            }).ToArray()),
        })).ToArray());

    public void Merged(int number, string mergeSha) =>
        Stub(Request.Create().WithPath($"{RepoPath()}/pulls/{number}/merge").UsingPut(), 200,
            new JsonObject { ["sha"] = mergeSha, ["merged"] = true, ["message"] = "Pull Request successfully merged" });

    public void BranchDeleted(string branch) =>
        Stub(Request.Create().WithPath($"{RepoPath()}/git/refs/heads/{branch}").UsingDelete(), 204, null);

    // ------------------------------------------------------------ deployments and statuses

    public void DeploymentCreated(long id, string sha, string environment) =>
        Stub(Request.Create().WithPath($"{RepoPath()}/deployments").UsingPost(), 201, DeploymentJson(id, sha, environment, new JsonObject(), "2026-11-28T10:00:00Z"));

    public void DeploymentCreationFails(int status, string message) =>
        Stub(Request.Create().WithPath($"{RepoPath()}/deployments").UsingPost(), status, new JsonObject { ["message"] = message });

    public void DeploymentStatusCreated(long deploymentId) =>
        Stub(Request.Create().WithPath($"{RepoPath()}/deployments/{deploymentId}/statuses").UsingPost(), 201,
            DeploymentStatusJson(deploymentId * 10, "in_progress", "2026-11-28T10:00:01Z", null));

    public void Deployments(string environment, params JsonObject[] deployments) =>
        Stub(Request.Create().WithPath($"{RepoPath()}/deployments").WithParam("environment", environment).UsingGet(), 200,
            new JsonArray(deployments.Cast<JsonNode>().ToArray()));

    public void DeploymentStatuses(long deploymentId, params JsonObject[] statuses) =>
        Stub(Request.Create().WithPath($"{RepoPath()}/deployments/{deploymentId}/statuses").UsingGet(), 200,
            new JsonArray(statuses.Cast<JsonNode>().ToArray()));

    public static JsonObject DeploymentJson(long id, string sha, string environment, JsonObject payload, string createdAt) => new()
    {
        ["id"] = id,
        ["node_id"] = $"DE_{id}",
        ["sha"] = sha,
        ["ref"] = sha,
        ["task"] = "deploy",
        ["payload"] = payload,
        ["environment"] = environment,
        ["original_environment"] = environment,
        ["description"] = "Slipway",
        ["creator"] = User(Author),
        ["created_at"] = createdAt,
        ["updated_at"] = createdAt,
        ["statuses_url"] = $"https://api.github.com/repos/{Owner}/{Repo}/deployments/{id}/statuses",
        ["repository_url"] = $"https://api.github.com/repos/{Owner}/{Repo}",
        ["transient_environment"] = false,
        ["production_environment"] = environment == "production",
    };

    public static JsonObject DeploymentStatusJson(long id, string state, string createdAt, string? environmentUrl) => new()
    {
        ["id"] = id,
        ["node_id"] = $"DES_{id}",
        ["state"] = state,
        ["creator"] = User(Author),
        ["description"] = state,
        ["environment_url"] = environmentUrl,
        ["log_url"] = "https://ci.example.com/run/1",
        ["target_url"] = "https://ci.example.com/run/1",
        ["created_at"] = createdAt,
        ["updated_at"] = createdAt,
    };

    public void CommitStatusCreated(string sha) =>
        Stub(Request.Create().WithPath($"{RepoPath(SourceRepo)}/statuses/{sha}").UsingPost(), 201, new JsonObject
        {
            ["id"] = 7,
            ["state"] = "success",
            ["context"] = "slipway/staging",
            ["created_at"] = "2026-11-28T10:00:00Z",
            ["updated_at"] = "2026-11-28T10:00:00Z",
        });

    /// <summary>Every request of <paramref name="method"/> to <paramref name="path"/> answers a server error.</summary>
    public void ServerError(string method, string path, int status = 502) =>
        Stub(Request.Create().WithPath(path).UsingMethod(method), status, new JsonObject { ["message"] = "Server Error" });

    // ------------------------------------------------------------ what was asked

    public IReadOnlyList<SimulatedRequest> Requests => server.LogEntries
        .Select(entry => new SimulatedRequest(
            entry.RequestMessage.Method,
            entry.RequestMessage.Path,
            entry.RequestMessage.Query?.ToDictionary(pair => pair.Key, pair => string.Join(",", pair.Value)) ?? [],
            entry.RequestMessage.Body,
            entry.RequestMessage.Headers?.ToDictionary(pair => pair.Key, pair => string.Join(",", pair.Value), StringComparer.OrdinalIgnoreCase) ?? [],
            entry.MappingGuid is not null && entry.MappingGuid != Guid.Empty))
        .ToList();

    public IReadOnlyList<SimulatedRequest> To(string method, string path) =>
        Requests.Where(request => request.Method == method && request.Path == path).ToList();

    /// <summary>Requests no stub answered (the simulation's 404): Slipway called an endpoint the flow should not need.</summary>
    public IReadOnlyList<SimulatedRequest> Unmatched => Requests.Where(request => !request.Matched).ToList();

    public void Dispose() => server.Stop();

    private void Stub(IRequestBuilder request, int status, JsonNode? body) => server.Given(request).RespondWith(Respond(status, body));

    /// <summary>A WireMock scenario: response i is served once, then i+1; the last repeats.</summary>
    private void Sequence(IRequestBuilder request, (int Status, JsonNode Body)[] responses)
    {
        if (responses.Length == 0) throw new ArgumentException("a sequence needs at least one response", nameof(responses));
        if (responses.Length == 1)
        {
            // WireMock matches a scenario mapping without a next state only once the scenario has started: a single
            // answer is a plain stub.
            Stub(request, responses[0].Status, responses[0].Body);
            return;
        }
        var scenario = $"sequence-{Interlocked.Increment(ref scenarios)}";
        for (var index = 0; index < responses.Length; index++)
        {
            var mapping = server.Given(request).InScenario(scenario);
            if (index > 0) mapping = mapping.WhenStateIs($"step-{index}");
            if (index < responses.Length - 1) mapping = mapping.WillSetStateTo($"step-{index + 1}");
            mapping.RespondWith(Respond(responses[index].Status, responses[index].Body));
        }
    }

    private static IResponseBuilder Respond(int status, JsonNode? body)
    {
        var response = Response.Create().WithStatusCode(status)
            .WithHeader("X-GitHub-Media-Type", "github.v3; format=json")
            .WithHeader("X-RateLimit-Limit", "5000")
            .WithHeader("X-RateLimit-Remaining", "4999")
            .WithHeader("X-RateLimit-Reset", "1764331200");
        return body is null ? response : response.WithHeader("Content-Type", "application/json; charset=utf-8").WithBody(body.ToJsonString());
    }

    private static JsonObject PullRequestJson(int number, string branch, string headSha, string baseBranch, string state, bool merged, string? mergeSha = null) => new()
    {
        ["id"] = 1000 + number,
        ["node_id"] = $"PR_{number}",
        ["number"] = number,
        ["state"] = state,
        ["title"] = $"Promote to production (#{number})",
        ["body"] = "",
        ["html_url"] = $"https://github.com/{Owner}/{Repo}/pull/{number}",
        ["url"] = $"https://api.github.com/repos/{Owner}/{Repo}/pulls/{number}",
        ["user"] = User(Author),
        ["head"] = new JsonObject { ["ref"] = branch, ["sha"] = headSha, ["label"] = $"{Owner}:{branch}" },
        ["base"] = new JsonObject { ["ref"] = baseBranch, ["sha"] = new string('b', 40), ["label"] = $"{Owner}:{baseBranch}" },
        // GitHub sends merged_at and closed_at; Octokit derives PullRequest.Merged from merged_at.
        ["merged"] = merged,
        ["merged_at"] = merged ? "2026-11-28T10:05:00Z" : null,
        ["closed_at"] = state == "closed" ? "2026-11-28T10:05:00Z" : null,
        ["merge_commit_sha"] = mergeSha,
        ["draft"] = false,
        ["created_at"] = "2026-11-28T10:00:00Z",
        ["updated_at"] = "2026-11-28T10:00:00Z",
    };

    private static JsonObject User(string login) => new() { ["login"] = login, ["id"] = login.Length, ["type"] = "User" };
}

/// <summary>One request the simulation received.</summary>
public sealed record SimulatedRequest(
    string Method,
    string Path,
    IReadOnlyDictionary<string, string> Query,
    string? Body,
    IReadOnlyDictionary<string, string> Headers,
    bool Matched)
{
    public JsonNode Json => JsonNode.Parse(Body ?? throw new InvalidOperationException($"{Method} {Path} had no body"))!;

    public override string ToString() => $"{Method} {Path}{(Query.Count == 0 ? "" : "?" + string.Join("&", Query.Select(pair => $"{pair.Key}={pair.Value}")))}";
}
