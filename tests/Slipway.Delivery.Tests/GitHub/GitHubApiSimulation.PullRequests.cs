using System.Text.Json.Nodes;
using Slipway.Testing;
using WireMock;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Types;
using WireMock.Util;

namespace Slipway.Delivery.Tests.GitHub;

/// <summary>
/// Pull requests of the simulation backed by a real bare Git repo, as GitHub's are by the repository it hosts: a pull
/// request's head is the branch's commit in that repo, a merge writes a real squash (or merge) commit onto the base
/// branch there and answers its sha, and deleting the branch deletes the ref. So a promotion merged "on GitHub" lands in
/// the Git remote the agent follows, exactly as it would for real.
/// </summary>
public sealed partial class GitHubApiSimulation
{
    private readonly Lock gitLock = new();
    private readonly Dictionary<int, SimulatedPullRequest> pullRequests = [];
    private string? bareRepository;
    private int reviewPolls;

    private sealed record SimulatedPullRequest(int Number, string Branch, string BaseBranch, string Title)
    {
        public string? MergeSha { get; set; }
    }

    /// <summary>The body of each merge request GitHub received, in order.</summary>
    public List<JsonObject> MergeRequests { get; } = [];

    /// <summary>
    /// Serves POST pulls, GET pulls/{n}, PUT pulls/{n}/merge and DELETE git/refs/heads/{branch} from
    /// <paramref name="bareRepositoryPath"/>; pull requests are numbered from <paramref name="firstNumber"/>.
    /// </summary>
    public void ServePullRequestsFrom(string bareRepositoryPath, int firstNumber = 1)
    {
        bareRepository = bareRepositoryPath;
        var next = firstNumber;
        server.Given(Request.Create().WithPath($"{RepoPath()}/pulls").UsingPost()).RespondWith(Response.Create().WithCallback(request =>
        {
            var body = JsonNode.Parse(request.Body!)!.AsObject();
            lock (gitLock)
            {
                var branch = (string)body["head"]!;
                var head = BranchHead(branch);
                if (head is null)
                    return Json(422, new JsonObject { ["message"] = "Validation Failed", ["errors"] = new JsonArray(new JsonObject { ["resource"] = "PullRequest", ["field"] = "head", ["code"] = "invalid" }) });
                var pullRequest = new SimulatedPullRequest(next++, branch, (string)body["base"]!, (string)body["title"]!);
                pullRequests[pullRequest.Number] = pullRequest;
                return Json(201, PullRequestJson(pullRequest.Number, branch, head, pullRequest.BaseBranch, "open", merged: false));
            }
        }));
        server.Given(Request.Create().WithPath(new RegexMatcher($@"^{RepoPath()}/pulls/\d+$")).UsingGet()).RespondWith(Response.Create().WithCallback(request =>
        {
            lock (gitLock)
            {
                if (!TryFind(request.Path, out var pullRequest)) return Json(404, new JsonObject { ["message"] = "Not Found" });
                return Json(200, CurrentJson(pullRequest));
            }
        }));
        server.Given(Request.Create().WithPath(new RegexMatcher($@"^{RepoPath()}/pulls/\d+/merge$")).UsingPut()).RespondWith(Response.Create().WithCallback(request =>
        {
            var body = JsonNode.Parse(request.Body!)!.AsObject();
            lock (gitLock)
            {
                MergeRequests.Add(body);
                if (!TryFind(request.Path.Replace("/merge", "", StringComparison.Ordinal), out var pullRequest))
                    return Json(404, new JsonObject { ["message"] = "Not Found" });
                if (pullRequest.MergeSha is not null) return Json(405, new JsonObject { ["message"] = "Pull Request is not mergeable" });
                if ((string?)body["sha"] is { } expected && expected != BranchHead(pullRequest.Branch))
                    return Json(409, new JsonObject { ["message"] = "Head branch was modified. Review and try the merge again." });
                pullRequest.MergeSha = MergeInRepository(pullRequest, (string?)body["merge_method"] ?? "merge",
                    (string?)body["commit_title"] ?? pullRequest.Title, (string?)body["commit_message"] ?? "");
                return Json(200, new JsonObject { ["sha"] = pullRequest.MergeSha, ["merged"] = true, ["message"] = "Pull Request successfully merged" });
            }
        }));
        server.Given(Request.Create().WithPath(new RegexMatcher($@"^{RepoPath()}/git/refs/heads/.+$")).UsingDelete()).RespondWith(Response.Create().WithCallback(request =>
        {
            var branch = Uri.UnescapeDataString(request.Path[($"{RepoPath()}/git/refs/heads/".Length)..]);
            lock (gitLock)
            {
                if (BranchHead(branch) is null) return Json(422, new JsonObject { ["message"] = "Reference does not exist" });
                Git(bareRepositoryPath, "update-ref", "-d", $"refs/heads/{branch}");
                return new ResponseMessage { StatusCode = 204 };
            }
        }));
    }

    /// <summary>
    /// GET pulls/{n}/reviews: no review for the first <paramref name="pollsBefore"/> reads, then <paramref name="reviewer"/>'s
    /// review in <paramref name="state"/> (APPROVED, CHANGES_REQUESTED) of the pull request's current head.
    /// </summary>
    public void ReviewOfHeadAfter(int number, int pollsBefore, string reviewer, string state, string body = "") =>
        server.Given(Request.Create().WithPath($"{RepoPath()}/pulls/{number}/reviews").UsingGet()).RespondWith(Response.Create().WithCallback(_ =>
        {
            lock (gitLock)
            {
                if (reviewPolls++ < pollsBefore || !pullRequests.TryGetValue(number, out var pullRequest)) return Json(200, new JsonArray());
                var head = BranchHead(pullRequest.Branch) ?? "";
                return Json(200, new JsonArray(Review(9000 + number, reviewer, state, body, head, DateTimeOffset.UtcNow)));
            }
        }));

    /// <summary>GET commits/{any}/status and /check-runs: the same statuses for every commit (none: no checks at all).</summary>
    public void StatusesOnEveryCommit(params (string Context, string State)[] statuses)
    {
        server.Given(Request.Create().WithPath(new RegexMatcher($@"^{RepoPath()}/commits/[0-9a-f]+/status$")).UsingGet())
            .RespondWith(Response.Create().WithCallback(request => Json(200, CombinedStatusJson(request.Path.Split('/')[^2], statuses))));
        server.Given(Request.Create().WithPath(new RegexMatcher($@"^{RepoPath()}/commits/[0-9a-f]+/check-runs$")).UsingGet()).RespondWith(Response.Create().WithCallback(_ =>
            Json(200, new JsonObject { ["total_count"] = 0, ["check_runs"] = new JsonArray() })));
    }

    private bool TryFind(string path, out SimulatedPullRequest pullRequest)
    {
        pullRequest = null!;
        return int.TryParse(path.Split('/')[^1], out var number) && pullRequests.TryGetValue(number, out pullRequest!);
    }

    private JsonObject CurrentJson(SimulatedPullRequest pullRequest)
    {
        var merged = pullRequest.MergeSha is not null;
        // After a merge GitHub keeps the head sha the pull request had; the branch may be gone by then.
        var head = BranchHead(pullRequest.Branch) ?? pullRequest.MergeSha ?? "";
        return PullRequestJson(pullRequest.Number, pullRequest.Branch, head, pullRequest.BaseBranch, merged ? "closed" : "open", merged, pullRequest.MergeSha);
    }

    private string? BranchHead(string branch)
    {
        try { return Git(bareRepository!, "rev-parse", "--verify", "-q", $"refs/heads/{branch}").Trim(); }
        catch (InvalidOperationException) { return null; }
    }

    /// <summary>What GitHub does on merge, done with git in a scratch clone and pushed to the base branch.</summary>
    private string MergeInRepository(SimulatedPullRequest pullRequest, string method, string title, string message)
    {
        var scratch = Path.Combine(Path.GetTempPath(), "slipway-github-merge-" + Guid.NewGuid().ToString("N"));
        try
        {
            Git(Path.GetTempPath(), "clone", "-q", "--branch", pullRequest.BaseBranch, bareRepository!, scratch);
            Git(scratch, "fetch", "-q", "origin", $"refs/heads/{pullRequest.Branch}:refs/remotes/origin/{pullRequest.Branch}");
            string[] identity = ["-c", "user.name=GitHub", "-c", "user.email=noreply@github.com"];
            if (method == "squash")
            {
                Git(scratch, "merge", "-q", "--squash", $"origin/{pullRequest.Branch}");
                Git(scratch, [.. identity, "commit", "-q", "--no-verify", "-m", title, "-m", message]);
            }
            else
            {
                Git(scratch, [.. identity, "merge", "-q", "--no-ff", $"origin/{pullRequest.Branch}", "-m", title, "-m", message]);
            }
            Git(scratch, "push", "-q", "origin", $"HEAD:refs/heads/{pullRequest.BaseBranch}");
            return Git(scratch, "rev-parse", "HEAD").Trim();
        }
        finally
        {
            if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        }
    }

    private static string Git(string directory, params string[] arguments) => TestGit.RunAsync(directory, arguments).GetAwaiter().GetResult();

    private static ResponseMessage Json(int status, JsonNode body)
    {
        var response = new ResponseMessage
        {
            StatusCode = status,
            BodyData = new BodyData { DetectedBodyType = BodyType.String, BodyAsString = body.ToJsonString() },
        };
        response.AddHeader("Content-Type", "application/json; charset=utf-8");
        response.AddHeader("X-GitHub-Media-Type", "github.v3; format=json");
        return response;
    }
}
