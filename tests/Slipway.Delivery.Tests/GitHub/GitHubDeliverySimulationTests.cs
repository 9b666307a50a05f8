using System.Text.Json.Nodes;
using Slipway.Delivery.GitHub;
using static Slipway.Delivery.Tests.GitHub.GitHubSimulationFixture;

namespace Slipway.Delivery.Tests.GitHub;

/// <summary>
/// The GitHub flows through Octokit against GitHubApiSimulation (WireMock standing in for the GitHub REST API; GitHub
/// itself cannot be reached here). Each test checks the requests Octokit really sent: method, path, JSON body.
/// </summary>
public sealed class GitHubDeliverySimulationTests : IDisposable
{
    private readonly GitHubSimulationFixture github = new();
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;
    private static readonly string Repo = GitHubApiSimulation.RepoPath();

    public void Dispose()
    {
        Assert.Empty(github.Simulation.Unmatched.Select(request => request.ToString()));
        github.AssertTokenNeverLogged();
        github.Dispose();
    }

    [Fact]
    public async Task Promotion_pull_request_carries_the_diff_and_the_evidence_tables_and_the_token_only_in_its_Authorization_header()
    {
        github.Simulation.PullRequestCreated(7, Branch, HeadSha);
        var delivery = github.Delivery();

        var pullRequest = await delivery.OpenPromotionPullRequestAsync(new PromotionPullRequestRequest(Branch, "main",
            "Promote beacon 4f1c2b3a4d5e to production", Trailers(), " environments/production/deployment.yaml | 2 +-", Evidence(), "staging"), Cancel);

        Assert.Equal(7, pullRequest.Number);
        Assert.Equal(HeadSha, pullRequest.HeadSha);
        Assert.Equal(GitHubApiSimulation.Author, pullRequest.Author);
        var request = Assert.Single(github.Simulation.To("POST", $"{Repo}/pulls"));
        Assert.Equal($"token {Token}", request.Headers["Authorization"], ignoreCase: true);
        Assert.Contains("slipway", request.Headers["User-Agent"], StringComparison.Ordinal);
        var json = request.Json;
        Assert.Equal("Promote beacon 4f1c2b3a4d5e to production", (string?)json["title"]);
        Assert.Equal("slipway/promote-production-4f1c2b3a4d5e", (string?)json["head"]);
        Assert.Equal("main", (string?)json["base"]);
        var body = (string)json["body"]!;
        Assert.Contains($"| Image | `{Image}` |", body, StringComparison.Ordinal);
        Assert.Contains($"| Source commit | `{SourceCommit}` |", body, StringComparison.Ordinal);
        Assert.Contains("environments/production/deployment.yaml | 2 +-", body, StringComparison.Ordinal);
        Assert.Contains("| Check | Result | Expected | Actual |", body, StringComparison.Ordinal);
        Assert.Contains("| health | ✅ passed | 200 | 200 |", body, StringComparison.Ordinal);
        Assert.Contains("| greeting \\| body | ✅ passed | Hello | Hello |", body, StringComparison.Ordinal);
        Assert.Contains("| Step | Metric | Canary | Stable | Threshold | Result |", body, StringComparison.Ordinal);
        Assert.Contains("| 10% | p95 latency (ms) | 41.5 | 40.2 | 250 | ✅ passed |", body, StringComparison.Ordinal);
        Assert.Contains("| 50% | error rate | 0.0008 | 0.001 | 0.01 | ✅ passed |", body, StringComparison.Ordinal);
        Assert.Contains(PromotionPullRequestBody.Marker("production", Image), body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rerun_finds_the_branch_s_open_pull_request_and_updates_it()
    {
        github.Simulation.PullRequestCreationFails(422, "Validation Failed", $"A pull request already exists for acme:{Branch}.");
        github.Simulation.OpenPullRequestsOfBranch(Branch, 5, HeadSha);
        github.Simulation.PullRequestUpdated(5, Branch, HeadSha);

        var pullRequest = await github.Delivery().OpenPromotionPullRequestAsync(new PromotionPullRequestRequest(Branch, "main",
            "Promote again", Trailers(), "diff", PromotionEvidence.None), Cancel);

        Assert.Equal(5, pullRequest.Number);
        var find = Assert.Single(github.Simulation.To("GET", $"{Repo}/pulls"));
        Assert.Equal($"acme:{Branch}", find.Query["head"]);
        Assert.Equal("open", find.Query["state"]);
        var update = Assert.Single(github.Simulation.To("PATCH", $"{Repo}/pulls/5")).Json;
        Assert.Equal("Promote again", (string?)update["title"]);
        Assert.Contains("No canary analysis ran", (string)update["body"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_approving_review_from_someone_other_than_the_author_approves()
    {
        var at = DateTimeOffset.Parse("2026-11-28T10:00:00Z");
        github.Simulation.PullRequestStates(7, Branch, HeadSha, ("open", false, null));
        github.Simulation.Reviews(7,
            [],
            [GitHubApiSimulation.Review(1, GitHubApiSimulation.Author, "APPROVED", "self-approval does not count", HeadSha, at)],
            [
                GitHubApiSimulation.Review(1, GitHubApiSimulation.Author, "APPROVED", "self-approval does not count", HeadSha, at),
                GitHubApiSimulation.Review(2, "alice", "COMMENTED", "looking", HeadSha, at.AddMinutes(1)),
            ],
            [
                GitHubApiSimulation.Review(1, GitHubApiSimulation.Author, "APPROVED", "self-approval does not count", HeadSha, at),
                GitHubApiSimulation.Review(2, "alice", "COMMENTED", "looking", HeadSha, at.AddMinutes(1)),
                GitHubApiSimulation.Review(3, "alice", "APPROVED", "canary looks clean, ship it", HeadSha, at.AddMinutes(2)),
            ]);

        var decision = await github.Delivery().WaitForApprovalAsync(OpenedPullRequest(), TimeSpan.FromMinutes(1), Cancel);

        Assert.Equal(ApprovalOutcome.Approved, decision.Outcome);
        Assert.Equal("alice", decision.Reviewer);
        Assert.Equal("canary looks clean, ship it", decision.Comment);
        Assert.True(github.Simulation.To("GET", $"{Repo}/pulls/7/reviews").Count >= 4, "polled until the approval arrived");
        Assert.Contains("alice approved pull request #7", github.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_GitHub_outage_while_waiting_is_waited_out()
    {
        github.Simulation.PullRequestStates(7, Branch, HeadSha, ("open", false, null));
        github.Simulation.ReviewsAfterOutage(7, failures: 4,
            [GitHubApiSimulation.Review(3, "alice", "APPROVED", "ok", HeadSha, DateTimeOffset.Parse("2026-11-28T10:00:00Z"))]);

        var decision = await github.Delivery().WaitForApprovalAsync(OpenedPullRequest(), TimeSpan.FromMinutes(1), Cancel);

        Assert.Equal(ApprovalOutcome.Approved, decision.Outcome);
        Assert.Equal(5, github.Simulation.To("GET", $"{Repo}/pulls/7/reviews").Count);
        Assert.Contains("Reading the reviews of pull request #7 failed; trying again", github.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_for_changes_rejects_with_the_reviewer_s_comment()
    {
        github.Simulation.PullRequestStates(7, Branch, HeadSha, ("open", false, null));
        github.Simulation.Reviews(7, [], [GitHubApiSimulation.Review(4, "bob", "CHANGES_REQUESTED", "Error budget is spent this week; wait for Monday.", HeadSha, DateTimeOffset.Parse("2026-11-28T10:00:00Z"))]);

        var decision = await github.Delivery().WaitForApprovalAsync(OpenedPullRequest(), TimeSpan.FromMinutes(1), Cancel);

        Assert.Equal(ApprovalOutcome.Rejected, decision.Outcome);
        Assert.Equal("bob", decision.Reviewer);
        Assert.Equal("Error budget is spent this week; wait for Monday.", decision.Comment);
        var error = Assert.Throws<GitHubDeliveryException>(() => decision.EnsureApproved());
        Assert.Contains("bob requested changes on pull request #7: \"Error budget is spent this week; wait for Monday.\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_review_within_the_timeout_times_out_with_the_pull_request_to_review()
    {
        github.Simulation.PullRequestStates(7, Branch, HeadSha, ("open", false, null));
        github.Simulation.Reviews(7);

        var decision = await github.Delivery().WaitForApprovalAsync(OpenedPullRequest(), TimeSpan.FromMilliseconds(150), Cancel);

        Assert.Equal(ApprovalOutcome.TimedOut, decision.Outcome);
        Assert.Contains("https://github.com/acme/config/pull/7", decision.Reason, StringComparison.Ordinal);
        Assert.Contains("no approving review", decision.Reason, StringComparison.Ordinal);
        Assert.NotEmpty(github.Simulation.To("GET", $"{Repo}/pulls/7/reviews"));
    }

    [Fact]
    public async Task A_pull_request_closed_while_waiting_is_a_rejection()
    {
        github.Simulation.PullRequestStates(7, Branch, HeadSha, ("open", false, null), ("closed", false, null));
        github.Simulation.Reviews(7);

        var decision = await github.Delivery().WaitForApprovalAsync(OpenedPullRequest(), TimeSpan.FromMinutes(1), Cancel);

        Assert.Equal(ApprovalOutcome.Rejected, decision.Outcome);
        Assert.Contains("closed without merging", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Merges_pinned_to_the_head_once_statuses_and_check_runs_are_green_keeping_the_trailers_in_the_squash_commit()
    {
        github.Simulation.PullRequestStates(7, Branch, HeadSha, ("open", false, null));
        github.Simulation.CombinedStatuses(HeadSha, [("ci/lint", "pending")], [("ci/lint", "success")]);
        github.Simulation.CheckRuns(HeadSha,
            [("validate manifests", "in_progress", null)],
            [("validate manifests", "in_progress", null)],
            [("validate manifests", "completed", "success"), ("kubeconform", "completed", "skipped")]);
        github.Simulation.Merged(7, MergeSha);
        github.Simulation.BranchDeleted(Branch);

        var decision = await github.Delivery().MergeWhenChecksPassAsync(OpenedPullRequest(), TimeSpan.FromMinutes(1), Cancel);

        Assert.Equal(MergeOutcome.Merged, decision.Outcome);
        Assert.Equal(MergeSha, decision.EnsureMerged());
        Assert.True(github.Simulation.To("GET", $"{Repo}/commits/{HeadSha}/check-runs").Count >= 3, "polled until the checks finished");
        var merge = Assert.Single(github.Simulation.To("PUT", $"{Repo}/pulls/7/merge")).Json;
        Assert.Equal(HeadSha, (string?)merge["sha"]);
        Assert.Equal("squash", (string?)merge["merge_method"]);
        Assert.Equal("Promote beacon 4f1c2b3a4d5e to production (#7)", (string?)merge["commit_title"]);
        var message = (string)merge["commit_message"]!;
        Assert.Contains("Slipway-Environment: production", message, StringComparison.Ordinal);
        Assert.Contains($"Slipway-Image: {Image}", message, StringComparison.Ordinal);
        Assert.Contains($"Slipway-Source-Commit: {SourceCommit}", message, StringComparison.Ordinal);
        Assert.Single(github.Simulation.To("DELETE", $"{Repo}/git/refs/heads/{Branch}"));
    }

    [Fact]
    public async Task A_merge_commit_is_used_when_configured_and_does_not_repeat_the_trailers()
    {
        github.Simulation.PullRequestStates(7, Branch, HeadSha, ("open", false, null));
        github.Simulation.CombinedStatuses(HeadSha, [("ci/lint", "success")]);
        github.Simulation.CheckRuns(HeadSha, [("validate manifests", "completed", "success")]);
        github.Simulation.Merged(7, MergeSha);
        github.Simulation.BranchDeleted(Branch);

        var decision = await github.Delivery(github.Options(GitHubMergeMethod.Merge)).MergeWhenChecksPassAsync(OpenedPullRequest(), TimeSpan.FromMinutes(1), Cancel);

        Assert.True(decision.IsMerged);
        var merge = Assert.Single(github.Simulation.To("PUT", $"{Repo}/pulls/7/merge")).Json;
        Assert.Equal("merge", (string?)merge["merge_method"]);
        Assert.DoesNotContain("Slipway-Environment", (string?)merge["commit_message"] ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_red_check_refuses_the_merge_and_names_the_failing_check()
    {
        github.Simulation.PullRequestStates(7, Branch, HeadSha, ("open", false, null));
        github.Simulation.CombinedStatuses(HeadSha, [("ci/lint", "success")]);
        github.Simulation.CheckRuns(HeadSha, [("validate manifests", "in_progress", null)], [("validate manifests", "completed", "failure")]);

        var decision = await github.Delivery().MergeWhenChecksPassAsync(OpenedPullRequest(), TimeSpan.FromMinutes(1), Cancel);

        Assert.Equal(MergeOutcome.ChecksFailed, decision.Outcome);
        Assert.Equal(["validate manifests (failure)"], decision.FailingChecks);
        var error = Assert.Throws<GitHubDeliveryException>(() => decision.EnsureMerged());
        Assert.Contains("validate manifests", error.Message, StringComparison.Ordinal);
        Assert.Empty(github.Simulation.To("PUT", $"{Repo}/pulls/7/merge"));
    }

    [Fact]
    public async Task A_failing_commit_status_refuses_the_merge()
    {
        github.Simulation.PullRequestStates(7, Branch, HeadSha, ("open", false, null));
        github.Simulation.CombinedStatuses(HeadSha, [("ci/policy", "error")]);
        github.Simulation.CheckRuns(HeadSha);

        var decision = await github.Delivery().MergeWhenChecksPassAsync(OpenedPullRequest(), TimeSpan.FromMinutes(1), Cancel);

        Assert.Equal(MergeOutcome.ChecksFailed, decision.Outcome);
        Assert.Contains("ci/policy", Assert.Single(decision.FailingChecks), StringComparison.Ordinal);
        Assert.Empty(github.Simulation.To("PUT", $"{Repo}/pulls/7/merge"));
    }

    [Fact]
    public async Task A_required_check_that_never_reports_times_out_unmerged()
    {
        github.Simulation.PullRequestStates(7, Branch, HeadSha, ("open", false, null));
        github.Simulation.CombinedStatuses(HeadSha, [("ci/lint", "success")]);
        github.Simulation.CheckRuns(HeadSha);

        var decision = await github.Delivery(github.Options(GitHubMergeMethod.Squash, "e2e"))
            .MergeWhenChecksPassAsync(OpenedPullRequest(), TimeSpan.FromMilliseconds(150), Cancel);

        Assert.Equal(MergeOutcome.TimedOut, decision.Outcome);
        Assert.Contains("e2e (not reported yet)", decision.Reason, StringComparison.Ordinal);
        Assert.Empty(github.Simulation.To("PUT", $"{Repo}/pulls/7/merge"));
    }

    [Fact]
    public async Task A_repository_without_any_check_merges_after_the_grace_period()
    {
        github.Simulation.PullRequestStates(7, Branch, HeadSha, ("open", false, null));
        github.Simulation.CombinedStatuses(HeadSha);
        github.Simulation.CheckRuns(HeadSha);
        github.Simulation.Merged(7, MergeSha);
        github.Simulation.BranchDeleted(Branch);

        var decision = await github.Delivery().MergeWhenChecksPassAsync(OpenedPullRequest(), TimeSpan.FromMinutes(1), Cancel);

        Assert.True(decision.IsMerged);
        Assert.Contains("merging without checks", github.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pull_request_someone_merged_on_GitHub_is_taken_as_merged_without_merging_again()
    {
        github.Simulation.PullRequestStates(7, Branch, HeadSha, ("closed", true, MergeSha));

        var decision = await github.Delivery().MergeWhenChecksPassAsync(OpenedPullRequest(), TimeSpan.FromMinutes(1), Cancel);

        Assert.Equal((MergeOutcome.Merged, MergeSha), (decision.Outcome, decision.MergeSha));
        Assert.Empty(github.Simulation.To("PUT", $"{Repo}/pulls/7/merge"));
        Assert.Empty(github.Simulation.To("GET", $"{Repo}/commits/{HeadSha}/check-runs"));
    }

    [Fact]
    public async Task Waiting_for_approval_stops_when_the_build_is_cancelled()
    {
        github.Simulation.PullRequestStates(7, Branch, HeadSha, ("open", false, null));
        github.Simulation.Reviews(7);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        cancellation.CancelAfter(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            github.Delivery().WaitForApprovalAsync(OpenedPullRequest(), TimeSpan.FromMinutes(10), cancellation.Token));
    }

    [Fact]
    public async Task Each_deploy_is_a_GitHub_deployment_of_the_config_commit_with_in_progress_then_success_statuses()
    {
        github.Simulation.DeploymentCreated(901, MergeSha, "production");
        github.Simulation.DeploymentStatusCreated(901);
        var delivery = github.Delivery();

        var deployment = await delivery.StartDeploymentAsync(new DeploymentNotice(MergeSha, Trailers(),
            new Uri("http://127.0.0.1:8080/"), new Uri("https://ci.example.com/run/42")), Cancel);
        await delivery.ReportDeploymentAsync(deployment, GitHubDeploymentState.Success, "production serves 4f1c2b3a4d5e", Cancel);

        Assert.Equal(901, deployment.Id);
        var created = Assert.Single(github.Simulation.To("POST", $"{Repo}/deployments")).Json;
        Assert.Equal(MergeSha, (string?)created["ref"]);
        Assert.Equal("production", (string?)created["environment"]);
        Assert.False((bool)created["auto_merge"]!);
        Assert.Empty(created["required_contexts"]!.AsArray());
        Assert.True((bool)created["production_environment"]!);
        Assert.Equal(Digest, (string?)created["payload"]!["digest"]);
        Assert.Equal(Image, (string?)created["payload"]!["image"]);
        Assert.Equal(SourceCommit, (string?)created["payload"]!["source_commit"]);
        Assert.Equal("acme/beacon", (string?)created["payload"]!["source_repository"]);
        Assert.Equal("run-42", (string?)created["payload"]!["run"]);

        var statuses = github.Simulation.To("POST", $"{Repo}/deployments/901/statuses").Select(request => request.Json).ToList();
        Assert.Equal(["in_progress", "success"], statuses.Select(status => (string?)status["state"]));
        Assert.All(statuses, status =>
        {
            Assert.Equal("http://127.0.0.1:8080/", (string?)status["environment_url"]);
            Assert.Equal("https://ci.example.com/run/42", (string?)status["log_url"]);
        });
        Assert.Equal("production serves 4f1c2b3a4d5e", (string?)statuses[1]["description"]);
    }

    [Fact]
    public async Task A_failed_deploy_and_a_rollback_are_reported_as_such()
    {
        github.Simulation.DeploymentCreated(902, MergeSha, "staging");
        github.Simulation.DeploymentStatusCreated(902);
        var delivery = github.Delivery();

        var deployment = await delivery.StartDeploymentAsync(new DeploymentNotice(MergeSha, Trailers("staging", rollbackOf: "deadbeefcafe")), Cancel);
        await delivery.ReportDeploymentAsync(deployment, GitHubDeploymentState.Failure, "smoke test failed: health expected 200, got 503", Cancel);

        var created = Assert.Single(github.Simulation.To("POST", $"{Repo}/deployments")).Json;
        Assert.False((bool)created["production_environment"]!);
        Assert.Equal("deadbeefcafe", (string?)created["payload"]!["rollback_of"]);
        var last = github.Simulation.To("POST", $"{Repo}/deployments/902/statuses").Last().Json;
        Assert.Equal("failure", (string?)last["state"]);
        Assert.Null(last["environment_url"]);
    }

    [Theory]
    [InlineData("staging", GitHubCommitState.Pending, "pending")]
    [InlineData("staging", GitHubCommitState.Success, "success")]
    [InlineData("production", GitHubCommitState.Failure, "failure")]
    [InlineData("production", GitHubCommitState.Error, "error")]
    public async Task Environment_outcomes_are_commit_statuses_on_the_source_commit(string environment, GitHubCommitState state, string wire)
    {
        github.Simulation.CommitStatusCreated(SourceCommit);

        var posted = await github.Delivery().ReportSourceStatusAsync(SourceCommit, environment, state, $"{environment}: {wire}",
            new Uri("https://ci.example.com/run/42"), Cancel);

        Assert.True(posted);
        var status = Assert.Single(github.Simulation.To("POST", $"{GitHubApiSimulation.RepoPath(GitHubApiSimulation.SourceRepo)}/statuses/{SourceCommit}")).Json;
        Assert.Equal(wire, (string?)status["state"]);
        Assert.Equal($"slipway/{environment}", (string?)status["context"]);
        Assert.Equal($"{environment}: {wire}", (string?)status["description"]);
        Assert.Equal("https://ci.example.com/run/42", (string?)status["target_url"]);
    }

    [Fact]
    public async Task Deployments_are_read_back_per_environment_with_their_final_state_for_metrics()
    {
        var payload = new JsonObject { ["image"] = Image, ["digest"] = Digest, ["source_commit"] = SourceCommit, ["source_time"] = "2026-11-28T09:30:00+01:00" };
        github.Simulation.Deployments("production",
            GitHubApiSimulation.DeploymentJson(12, "c2".PadRight(40, '2'), "production", payload.DeepClone().AsObject(), "2026-11-28T11:00:00Z"),
            GitHubApiSimulation.DeploymentJson(11, "c1".PadRight(40, '1'), "production", payload.DeepClone().AsObject(), "2026-11-28T10:00:00Z"),
            GitHubApiSimulation.DeploymentJson(10, "c0".PadRight(40, '0'), "production", new JsonObject(), "2026-11-27T10:00:00Z"));
        // GitHub lists statuses newest first.
        github.Simulation.DeploymentStatuses(12,
            GitHubApiSimulation.DeploymentStatusJson(122, "failure", "2026-11-28T11:03:00Z", null),
            GitHubApiSimulation.DeploymentStatusJson(121, "in_progress", "2026-11-28T11:00:05Z", null));
        github.Simulation.DeploymentStatuses(11,
            GitHubApiSimulation.DeploymentStatusJson(113, "inactive", "2026-11-28T11:03:01Z", "http://127.0.0.1:8080/"),
            GitHubApiSimulation.DeploymentStatusJson(112, "success", "2026-11-28T10:02:00Z", "http://127.0.0.1:8080/"),
            GitHubApiSimulation.DeploymentStatusJson(111, "in_progress", "2026-11-28T10:00:05Z", null));
        github.Simulation.DeploymentStatuses(10);

        var records = await github.Delivery().ReadDeploymentsAsync("production", cancellationToken: Cancel);

        var list = Assert.Single(github.Simulation.To("GET", $"{Repo}/deployments"));
        Assert.Equal("production", list.Query["environment"]);
        Assert.Equal([12L, 11L, 10L], records.Select(record => record.Id));
        var failed = records[0];
        Assert.Equal((GitHubDeploymentState.Failure, false, (DateTimeOffset?)null), (failed.FinalState, failed.Succeeded, failed.DeployedAt));
        Assert.Equal(DateTimeOffset.Parse("2026-11-28T11:03:00Z"), failed.UpdatedAt);
        var superseded = records[1];
        Assert.Equal((GitHubDeploymentState.Inactive, true), (superseded.FinalState, superseded.Succeeded));
        Assert.Equal(DateTimeOffset.Parse("2026-11-28T10:02:00Z"), superseded.DeployedAt);
        Assert.Equal(DateTimeOffset.Parse("2026-11-28T10:00:00Z"), superseded.CreatedAt);
        Assert.Equal("c1".PadRight(40, '1'), superseded.Sha);
        Assert.Equal(Image, superseded.Image);
        Assert.Equal(SourceCommit, superseded.SourceCommit);
        Assert.Equal(DateTimeOffset.Parse("2026-11-28T08:30:00Z"), superseded.SourceTime);
        Assert.Equal("http://127.0.0.1:8080/", superseded.EnvironmentUrl);
        var foreign = records[2];
        Assert.Equal((GitHubDeploymentState.Pending, false, null, null), (foreign.FinalState, foreign.Succeeded, foreign.Image, foreign.SourceCommit));
    }

    [Fact]
    public async Task A_refused_deployment_is_a_clear_error_without_the_token()
    {
        github.Simulation.DeploymentCreationFails(422, $"No ref found for: {MergeSha}");

        var error = await Assert.ThrowsAsync<GitHubApiException>(() =>
            github.Delivery().StartDeploymentAsync(new DeploymentNotice(MergeSha, Trailers()), Cancel));

        Assert.Contains("GitHub could not create a deployment of cccccccccccc to production in acme/config", error.Message, StringComparison.Ordinal);
        Assert.Contains($"422 UnprocessableEntity: No ref found for: {MergeSha}", error.Message, StringComparison.Ordinal);
        Assert.Contains("check that the ref exists", error.Message, StringComparison.Ordinal);
        Assert.Single(github.Simulation.To("POST", $"{Repo}/deployments")); // not retried: a retry could duplicate it
        github.AssertTokenNeverLogged(error);
    }

    [Fact]
    public async Task A_rejected_token_is_named_as_the_problem_but_never_shown()
    {
        github.Simulation.ServerError("POST", $"{GitHubApiSimulation.RepoPath(GitHubApiSimulation.SourceRepo)}/statuses/{SourceCommit}", 401);

        var error = await Assert.ThrowsAsync<GitHubApiException>(() =>
            github.Delivery().ReportSourceStatusAsync(SourceCommit, "staging", GitHubCommitState.Success, "ok", cancellationToken: Cancel));

        Assert.Contains("the token is invalid or expired", error.Message, StringComparison.Ordinal);
        var request = Assert.Single(github.Simulation.To("POST", $"{GitHubApiSimulation.RepoPath(GitHubApiSimulation.SourceRepo)}/statuses/{SourceCommit}"));
        Assert.Contains(Token, request.Headers["Authorization"], StringComparison.Ordinal);
        github.AssertTokenNeverLogged(error);
    }

    [Fact]
    public async Task Server_errors_on_repeatable_calls_are_retried_then_reported()
    {
        github.Simulation.ServerError("POST", $"{GitHubApiSimulation.RepoPath(GitHubApiSimulation.SourceRepo)}/statuses/{SourceCommit}", 502);

        var error = await Assert.ThrowsAsync<GitHubApiException>(() =>
            github.Delivery().ReportSourceStatusAsync(SourceCommit, "staging", GitHubCommitState.Success, "ok", cancellationToken: Cancel));

        Assert.True(error.IsTransient);
        Assert.Equal(3, github.Simulation.To("POST", $"{GitHubApiSimulation.RepoPath(GitHubApiSimulation.SourceRepo)}/statuses/{SourceCommit}").Count);
        Assert.Contains("attempt 2 of 3", github.Log.Text, StringComparison.Ordinal);
        github.AssertTokenNeverLogged(error);
    }

    [Fact]
    public void Octokit_speaks_the_Enterprise_layout_to_a_custom_address()
    {
        var client = new OctokitGitHubClient(github.Options(), github.Log.Logger());

        Assert.Equal(new Uri(github.Simulation.BaseAddress, "api/v3/"), client.BaseAddress);
        Assert.Equal(new Uri("https://api.github.com/"), new OctokitGitHubClient(new GitHubOptions { Token = Token }, github.Log.Logger()).BaseAddress);
        Assert.Equal(new Uri("https://ghe.example.com/api/v3/"),
            new OctokitGitHubClient(new GitHubOptions { Token = Token, Host = "ghe.example.com" }, github.Log.Logger()).BaseAddress);
    }
}
