using System.Text.Json.Nodes;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.GitHub;
using Slipway.Delivery.Promotion;
using Slipway.Delivery.SmokeTesting;
using Slipway.Delivery.Tests.ConfigRepo;
using Slipway.Delivery.Tests.GitHub;

namespace Slipway.Delivery.Tests.Promotion;

/// <summary>
/// Operations by pull request: Promote against the simulation of GitHub's REST API (WireMock) whose pull requests are
/// backed by the sandbox's real bare config repo, so a merge "on GitHub" is a real commit on the branch the agent follows.
/// </summary>
public sealed class PullRequestPromotionTests : IDisposable
{
    private const string Reviewer = "release-manager";
    private readonly PromotionSandbox sandbox = new();
    private readonly GitHubSimulationFixture fixture = new();
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public PullRequestPromotionTests() => Simulation.ServePullRequestsFrom(sandbox.Git.BareRepository, firstNumber: 12);

    private GitHubApiSimulation Simulation => fixture.Simulation;

    public void Dispose()
    {
        fixture.Dispose();
        sandbox.Dispose();
    }

    private Promoter Promoter() =>
        sandbox.Promoter(pullRequests: new PullRequestPromotion(sandbox.Repository(), fixture.Delivery(), sandbox.Log)
        {
            ChecksTimeout = TimeSpan.FromSeconds(30),
        });

    private static PromotionEvidence SmokeEvidence() => new()
    {
        SmokeTests =
        [
            new SmokeTestResult("staging", new Uri("http://127.0.0.1:8081/"), Passed: true, Rounds: 1, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1.5),
                [new SmokeCheckResult("image digest", true, "sha256:" + new string('a', 64), "sha256:" + new string('a', 64))]),
        ],
    };

    private async Task StagingRunsSmokeTestedImageAsync()
    {
        await sandbox.DeployAsync("staging", PromotionSandbox.Image('a'));
        await sandbox.RecordSmokePassAsync("staging", PromotionSandbox.Image('a'));
    }

    private string Branch => PromotionBranch.For("production", PromotionSandbox.Image('a'));

    [Fact]
    public async Task An_automatic_environment_is_promoted_by_a_pull_request_squash_merged_into_the_branch_the_agent_follows()
    {
        await StagingRunsSmokeTestedImageAsync();
        Simulation.StatusesOnEveryCommit(("ci/validate", "success"));
        var before = (await sandbox.HeadAsync()).Trim();

        var result = await Promoter().PromoteAsync(sandbox.Request(run: "pipeline-7") with { Evidence = SmokeEvidence() }, Token);

        // The merge commit is in the bare repo's main, on top of what main was, with the deploy's trailers.
        Assert.True(result.Commit.Changed);
        Assert.Equal((await sandbox.HeadAsync()).Trim(), result.Commit.Sha);
        Assert.Equal(before, (await GitSandbox.GitAsync(sandbox.Git.BareRepository, "rev-parse", "main^")).Trim());
        var production = Assert.Single(await sandbox.Repository("reader").HistoryAsync("production", Token));
        Assert.Equal(result.Commit.Sha, production.Sha);
        Assert.Equal(new DeploymentTrailers("production", PromotionSandbox.Image('a'), PromotionSandbox.SourceCommit,
            new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero), "pipeline-7"), production.Deployment);
        Assert.Equal(PromotionSandbox.Image('a'), await sandbox.Repository("reader").CurrentImageAsync("production", Token));
        Assert.Null(result.Approval);   // automatic: no review asked for

        // The pull request: from the promotion branch into main, its body the diff and the smoke evidence.
        var opened = Assert.Single(Simulation.To("POST", GitHubApiSimulation.RepoPath() + "/pulls")).Json;
        Assert.Equal(Branch, (string?)opened["head"]);
        Assert.Equal("main", (string?)opened["base"]);
        var body = (string)opened["body"]!;
        Assert.Contains("environments/production/deployment.yaml", body);
        Assert.Contains("image digest", body);
        Assert.Contains("staging", body);
        Assert.Equal(12, result.PullRequest!.PullRequest.Number);

        // Merged as squash, pinned to the head that was checked, with the trailers in the message; the branch is deleted.
        var merge = Assert.Single(Simulation.MergeRequests);
        Assert.Equal("squash", (string?)merge["merge_method"]);
        Assert.Equal(result.PullRequest.PullRequest.HeadSha, (string?)merge["sha"]);
        Assert.Contains("Slipway-Environment: production", (string?)merge["commit_message"]);
        Assert.Equal("", (await GitSandbox.GitAsync(sandbox.Git.BareRepository, "branch", "--list", Branch)).Trim());
        Assert.Empty(Simulation.Unmatched);
        fixture.AssertTokenNeverLogged();
    }

    [Fact]
    public async Task A_manual_environment_merges_only_after_an_approving_review_of_the_head()
    {
        sandbox.Deploy.Edit("environments/production.yaml", yaml => yaml.Replace("approval: automatic", "approval: manual\n  approvalTimeoutSeconds: 60"));
        await StagingRunsSmokeTestedImageAsync();
        Simulation.StatusesOnEveryCommit();   // a config repo without CI: merged after the grace period
        Simulation.ReviewOfHeadAfter(12, pollsBefore: 3, Reviewer, "APPROVED", "ship it");

        var result = await Promoter().PromoteAsync(sandbox.Request(), Token);

        Assert.True(result.Commit.Changed);
        Assert.Equal(Reviewer, result.Approval!.ApprovedBy);
        Assert.True(Simulation.To("GET", GitHubApiSimulation.RepoPath() + "/pulls/12/reviews").Count >= 4);   // it waited for the review
        Assert.Equal(result.Commit.Sha, Assert.Single(await sandbox.CommitsOfAsync("production")));
        // No file-based approval is involved: the review is the approval.
        Assert.Equal("", (await GitSandbox.GitAsync(sandbox.Git.BareRepository, "ls-tree", "--name-only", "main", "approvals/")).Trim());
    }

    [Fact]
    public async Task A_request_for_changes_refuses_the_promotion_and_leaves_the_followed_branch_untouched()
    {
        sandbox.Deploy.Edit("environments/production.yaml", yaml => yaml.Replace("approval: automatic", "approval: manual\n  approvalTimeoutSeconds: 60"));
        await StagingRunsSmokeTestedImageAsync();
        Simulation.StatusesOnEveryCommit(("ci/validate", "success"));
        Simulation.ReviewOfHeadAfter(12, pollsBefore: 1, Reviewer, "CHANGES_REQUESTED", "not during the freeze");
        var head = await sandbox.HeadAsync();

        var refused = await Assert.ThrowsAsync<PromotionRefusedException>(() => Promoter().PromoteAsync(sandbox.Request(), Token));

        Assert.Contains("not during the freeze", refused.Message);
        Assert.Contains("production is unchanged", refused.Message);
        Assert.Contains("/pull/12", refused.Message);
        Assert.Equal(head, await sandbox.HeadAsync());
        Assert.Empty(await sandbox.CommitsOfAsync("production"));
        Assert.Empty(Simulation.MergeRequests);
        // The pull request's branch stays for the reviewer; it holds the proposed change.
        Assert.NotEqual("", (await GitSandbox.GitAsync(sandbox.Git.BareRepository, "branch", "--list", Branch)).Trim());
    }

    [Fact]
    public async Task A_failing_check_keeps_the_pull_request_unmerged_and_names_the_check()
    {
        await StagingRunsSmokeTestedImageAsync();
        Simulation.StatusesOnEveryCommit(("ci/validate", "success"), ("policy/opa", "failure"));
        var head = await sandbox.HeadAsync();

        var refused = await Assert.ThrowsAsync<PromotionRefusedException>(() => Promoter().PromoteAsync(sandbox.Request(), Token));

        Assert.Contains("policy/opa", refused.Message);
        Assert.Contains("production is unchanged", refused.Message);
        Assert.Equal(head, await sandbox.HeadAsync());
        Assert.Empty(Simulation.MergeRequests);
    }

    [Fact]
    public async Task A_re_run_rebuilds_the_promotion_branch_on_the_latest_main_and_reuses_the_open_pull_request_when_github_says_it_exists()
    {
        await StagingRunsSmokeTestedImageAsync();
        var repository = sandbox.Repository();
        var rendered = Slipway.Delivery.Manifests.ManifestRenderer.Render(sandbox.Deploy.Path, "production", PromotionSandbox.Image('a'));
        var trailers = new DeploymentTrailers("production", rendered.Image.ToString(), PromotionSandbox.SourceCommit, DateTimeOffset.UtcNow, "run-1");
        var committer = new GitOpsCommitter(repository, sandbox.Log);

        var first = await committer.CommitEnvironmentToBranchAsync(rendered, trailers, Branch, Token);
        await sandbox.DeployAsync("staging", PromotionSandbox.Image('c'), run: "deploy-2");   // main moves on
        var second = await committer.CommitEnvironmentToBranchAsync(rendered, trailers with { Run = "run-2" }, Branch, Token);

        Assert.True(first.Changed);
        Assert.True(second.Changed);
        Assert.Contains("environments/production/", second.DiffStat);
        var main = (await sandbox.HeadAsync()).Trim();
        Assert.Equal(main, second.BaseSha);
        Assert.Equal(main, (await GitSandbox.GitAsync(sandbox.Git.BareRepository, "rev-parse", Branch + "^")).Trim());
        Assert.Equal(second.Sha, (await GitSandbox.GitAsync(sandbox.Git.BareRepository, "rev-parse", Branch)).Trim());
        Assert.Empty(await sandbox.CommitsOfAsync("production"));   // the followed branch never saw it
    }

    [Fact]
    public async Task Nothing_to_promote_opens_no_pull_request()
    {
        await StagingRunsSmokeTestedImageAsync();
        Simulation.StatusesOnEveryCommit();
        await sandbox.DeployAsync("production", PromotionSandbox.Image('a'), run: "earlier");

        var result = await Promoter().PromoteAsync(sandbox.Request(), Token);

        Assert.False(result.Commit.Changed);
        Assert.Null(result.PullRequest);
        Assert.Empty(Simulation.To("POST", GitHubApiSimulation.RepoPath() + "/pulls"));
        Assert.Equal("", (await GitSandbox.GitAsync(sandbox.Git.BareRepository, "branch", "--list", Branch)).Trim());
    }
}
