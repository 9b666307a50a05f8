using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Promotion;
using Slipway.Delivery.RunRecords;
using Slipway.Delivery.Tests.ConfigRepo;
using Slipway.Delivery.Tests.Kubernetes;

namespace Slipway.Delivery.Tests.Promotion;

/// <summary>Promotion through a real bare Git config repo: evidence, policy (soak, approval), the commit and its trailers.</summary>
public sealed class PromoterTests : IDisposable
{
    private readonly PromotionSandbox sandbox = new();
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => sandbox.Dispose();

    [Fact]
    public async Task A_smoke_tested_digest_staging_runs_is_committed_to_production_with_the_deploys_source_trailers()
    {
        var staging = await sandbox.DeployAsync("staging", PromotionSandbox.Image('a'));
        await sandbox.RecordSmokePassAsync("staging", PromotionSandbox.Image('a'));

        var result = await sandbox.Promoter().PromoteAsync(sandbox.Request(run: "pipeline-42"), Token);

        Assert.True(result.Commit.Changed);
        Assert.Equal("staging", result.Candidate.From);
        Assert.Equal("canary", result.Candidate.TargetStrategy);
        Assert.Equal(staging.Sha, result.Candidate.Soak.DeployCommit.Sha);
        Assert.Null(result.Approval);   // production's policy is automatic
        var production = Assert.Single(await sandbox.Repository("reader").HistoryAsync("production", Token));
        Assert.Equal(result.Commit.Sha, production.Sha);
        Assert.Equal(new DeploymentTrailers("production", PromotionSandbox.Image('a'), PromotionSandbox.SourceCommit,
            new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero), "pipeline-42"), production.Deployment);
        Assert.Equal(PromotionSandbox.Image('a'), await sandbox.Repository("reader").CurrentImageAsync("production", Token));

        var again = await sandbox.Promoter().PromoteAsync(sandbox.Request(run: "pipeline-43"), Token);
        Assert.False(again.Commit.Changed);   // production already runs it: no second commit
        Assert.Single(await sandbox.CommitsOfAsync("production"));
    }

    [Fact]
    public async Task A_fix_deployed_to_staging_is_promoted_as_a_fix_without_the_staging_commit_it_repaired()
    {
        var rendered = ManifestRenderer.Render(sandbox.Deploy.Path, "staging", PromotionSandbox.Image('a'));
        await new GitOpsCommitter(sandbox.Repository(), sandbox.Log).CommitEnvironmentAsync(rendered,
            new DeploymentTrailers("staging", rendered.Image.ToString(), PromotionSandbox.SourceCommit, DateTimeOffset.UtcNow, "hotfix-1",
                ChangeType: "fix", FixOf: "3f2a9c1d0b7e"), Token);
        await sandbox.RecordSmokePassAsync("staging", PromotionSandbox.Image('a'));

        var result = await sandbox.Promoter().PromoteAsync(sandbox.Request(), Token);

        var production = Assert.Single(await sandbox.Repository("reader").HistoryAsync("production", Token));
        Assert.Equal(result.Commit.Sha, production.Sha);
        Assert.Equal(("fix", null), (production.Deployment!.ChangeType, production.Deployment.FixOf));
        Assert.Equal("fix", production.Trailers["Slipway-Change-Type"]);
    }

    [Fact]
    public async Task Drill_a_digest_that_never_passed_staging_is_refused_naming_the_digest_and_the_fix_and_nothing_is_committed()
    {
        await sandbox.DeployAsync("staging", PromotionSandbox.Image('a'));
        await sandbox.RecordSmokePassAsync("staging", PromotionSandbox.Image('b'));   // evidence, but for another digest
        await sandbox.RecordSmokePassAsync("qa", PromotionSandbox.Image('a'));        // and for another environment
        var head = await sandbox.HeadAsync();

        var refused = await Assert.ThrowsAsync<PromotionRefusedException>(() => sandbox.Promoter().PromoteAsync(sandbox.Request(), Token));

        Assert.Contains(PromotionSandbox.Image('a'), refused.Message);
        Assert.Contains("never passed SmokeTest in staging", refused.Message);
        Assert.Contains("./build.sh SmokeTest --environment staging", refused.Message);
        Assert.Equal(head, await sandbox.HeadAsync());
        Assert.Empty(await sandbox.CommitsOfAsync("production"));
    }

    [Fact]
    public async Task A_digest_staging_does_not_run_is_refused_even_when_it_once_passed_there()
    {
        await sandbox.DeployAsync("staging", PromotionSandbox.Image('b'));
        await sandbox.RecordSmokePassAsync("staging", PromotionSandbox.Image('b'));
        await sandbox.DeployAsync("staging", PromotionSandbox.Image('a'), run: "deploy-2");
        var head = await sandbox.HeadAsync();

        var refused = await Assert.ThrowsAsync<PromotionRefusedException>(() =>
            sandbox.Promoter().PromoteAsync(sandbox.Request(image: "sha256:" + new string('b', 64)), Token));

        Assert.Contains("sha256:" + new string('b', 64), refused.Message);
        Assert.Contains($"staging does not run it (the config repo has {PromotionSandbox.Image('a')} there)", refused.Message);
        Assert.Equal(head, await sandbox.HeadAsync());
        Assert.Empty(await sandbox.CommitsOfAsync("production"));
    }

    [Fact]
    public async Task A_run_record_of_a_passed_smoke_test_in_the_config_repo_is_evidence_on_a_machine_without_the_local_file()
    {
        await sandbox.DeployAsync("staging", PromotionSandbox.Image('a'));
        var start = DateTimeOffset.UtcNow.AddMinutes(-5);
        var record = new RunRecord("ci-run-9", "github-actions", start, TimeSpan.FromMinutes(3), RunResult.Succeeded, "staging",
            PromotionSandbox.Image('a'), PromotionSandbox.SourceCommit,
            [new StageRecord("Deploy", start, TimeSpan.FromMinutes(1), RunResult.Succeeded),
             new StageRecord("SmokeTest", start.AddMinutes(1), TimeSpan.FromSeconds(5), RunResult.Succeeded)]);
        await new RunRecordStore(sandbox.Repository("ci"), sandbox.Log).AppendAsync(record, text => text, Token);

        var result = await sandbox.Promoter("laptop").PromoteAsync(sandbox.Request(), Token);

        Assert.True(result.Commit.Changed);
        Assert.Equal(SmokeEvidence.RunRecordSource, result.Candidate.Evidence.Source);
        Assert.Equal("ci-run-9", result.Candidate.Evidence.Run);
    }

    [Fact]
    public async Task A_run_record_whose_smoke_test_failed_is_no_evidence()
    {
        await sandbox.DeployAsync("staging", PromotionSandbox.Image('a'));
        var start = DateTimeOffset.UtcNow.AddMinutes(-5);
        var record = new RunRecord("ci-run-10", "github-actions", start, TimeSpan.FromMinutes(3), RunResult.Failed, "staging",
            PromotionSandbox.Image('a'), PromotionSandbox.SourceCommit,
            [new StageRecord("SmokeTest", start, TimeSpan.FromSeconds(60), RunResult.Failed)]);
        await new RunRecordStore(sandbox.Repository("ci"), sandbox.Log).AppendAsync(record, text => text, Token);

        await Assert.ThrowsAsync<PromotionRefusedException>(() => sandbox.Promoter("laptop").PromoteAsync(sandbox.Request(), Token));
        Assert.Empty(await sandbox.CommitsOfAsync("production"));
    }

    [Fact]
    public async Task A_digest_that_has_not_soaked_long_enough_is_refused_with_the_time_it_may_be_promoted()
    {
        sandbox.Deploy.Edit("environments/production.yaml", yaml => yaml.Replace("soakSeconds: 0", "soakSeconds: 3600"));
        var staging = await sandbox.DeployAsync("staging", PromotionSandbox.Image('a'));
        await sandbox.RecordSmokePassAsync("staging", PromotionSandbox.Image('a'));
        var deployedAt = (await sandbox.Repository().HistoryAsync("staging", Token))[0].CommitTime;
        var clock = new ManualClock(deployedAt.AddMinutes(10));

        var refused = await Assert.ThrowsAsync<PromotionRefusedException>(() => sandbox.Promoter(clock: clock).PromoteAsync(sandbox.Request(), Token));

        Assert.Contains(PromotionSandbox.Image('a'), refused.Message);
        Assert.Contains("soakSeconds 3600", refused.Message);
        Assert.Contains($"promote again after {deployedAt.AddHours(1):u}", refused.Message);
        Assert.Empty(await sandbox.CommitsOfAsync("production"));

        clock.Now = deployedAt.AddHours(1);
        var result = await sandbox.Promoter(clock: clock).PromoteAsync(sandbox.Request(), Token);
        Assert.True(result.Commit.Changed);
        Assert.Equal(staging.Sha, result.Candidate.Soak.DeployCommit.Sha);
    }

    [Fact]
    public async Task A_manual_promotion_waits_for_the_approval_of_its_digest_recorded_in_the_config_repo()
    {
        sandbox.Deploy.Edit("environments/production.yaml", yaml => yaml.Replace("approval: automatic", "approval: manual\n  approvalTimeoutSeconds: 120"));
        await sandbox.DeployAsync("staging", PromotionSandbox.Image('a'));
        await sandbox.RecordSmokePassAsync("staging", PromotionSandbox.Image('a'));
        var approvals = new ApprovalStore(sandbox.Repository("approver"), sandbox.Log);
        await approvals.ApproveAsync(new Approval("production", PromotionSandbox.Image('b'), "someone@laptop", DateTimeOffset.UtcNow, "approve-0"), Token);

        var promotion = sandbox.Promoter().PromoteAsync(sandbox.Request(), Token);
        // Announced once the promoter has read the approvals (only the other digest's) and chose to wait.
        await KubernetesDeployerTests.WaitUntil(() => promotion.IsCompleted || sandbox.Git.Logs.Text.Contains("requires a manual approval", StringComparison.Ordinal));
        Assert.False(promotion.IsCompleted);   // an approval of another digest does not count
        Assert.Empty(await sandbox.CommitsOfAsync("production"));
        await approvals.ApproveAsync(new Approval("production", PromotionSandbox.Image('a'), "someone@laptop", DateTimeOffset.UtcNow, "approve-1"), Token);

        var result = await promotion.WaitAsync(TimeSpan.FromSeconds(60), Token);
        Assert.True(result.Commit.Changed);
        Assert.Equal("someone@laptop", result.Approval!.ApprovedBy);
        Assert.Equal("approve-1", result.Approval.Run);
        Assert.Equal([result.Commit.Sha], await sandbox.CommitsOfAsync("production"));   // approvals are no deployments
        var approvalFile = await GitSandbox.GitAsync(sandbox.Git.BareRepository, "show", "main:approvals/production.jsonl");
        Assert.Equal(2, approvalFile.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task A_manual_promotion_without_an_approval_gives_up_at_the_timeout_and_commits_nothing()
    {
        sandbox.Deploy.Edit("environments/production.yaml", yaml => yaml.Replace("approval: automatic", "approval: manual\n  approvalTimeoutSeconds: 1"));
        await sandbox.DeployAsync("staging", PromotionSandbox.Image('a'));
        await sandbox.RecordSmokePassAsync("staging", PromotionSandbox.Image('a'));
        var head = await sandbox.HeadAsync();

        var refused = await Assert.ThrowsAsync<PromotionRefusedException>(() => sandbox.Promoter().PromoteAsync(sandbox.Request(), Token));

        Assert.Contains($"{PromotionSandbox.Image('a')} was not approved for production within promotion.approvalTimeoutSeconds 1", refused.Message);
        Assert.Contains("./build.sh Approve --environment production", refused.Message);
        Assert.Equal(head, await sandbox.HeadAsync());
    }

    [Fact]
    public async Task An_environment_without_a_promotion_policy_is_refused_as_a_target()
    {
        await sandbox.DeployAsync("qa", PromotionSandbox.Image('a'));
        await sandbox.RecordSmokePassAsync("qa", PromotionSandbox.Image('a'));

        var refused = await Assert.ThrowsAsync<PromotionRefusedException>(() =>
            sandbox.Promoter().PromoteAsync(sandbox.Request(from: "qa", to: "staging"), Token));

        Assert.Contains("staging has no promotion policy", refused.Message);
        Assert.Contains("./build.sh Deploy --environment staging", refused.Message);
    }

    [Fact]
    [Trait("Tier", "Engine")] // a race between real git processes: a drill of the real-engine tier
    public async Task Drill_two_promotions_racing_on_the_config_repo_both_land_and_the_final_state_is_consistent()
    {
        // Two pipelines on two machines promote into production at once: one from staging (digest A), one from qa (digest B).
        await sandbox.DeployAsync("staging", PromotionSandbox.Image('a'));
        await sandbox.DeployAsync("qa", PromotionSandbox.Image('b'), run: "deploy-qa");
        await sandbox.RecordSmokePassAsync("staging", PromotionSandbox.Image('a'), machine: "one");
        await sandbox.RecordSmokePassAsync("qa", PromotionSandbox.Image('b'), machine: "two");
        var one = sandbox.Promoter("one");
        var two = sandbox.Promoter("two");

        var results = await Task.WhenAll(
            Task.Run(() => one.PromoteAsync(sandbox.Request(run: "race-one"), Token), Token),
            Task.Run(() => two.PromoteAsync(sandbox.Request(run: "race-two", from: "qa"), Token), Token));

        Assert.All(results, result => Assert.True(result.Commit.Changed));
        var production = await sandbox.Repository("reader").HistoryAsync("production", Token);
        Assert.Equal(2, production.Count);   // no lost update: both promotions are in the history
        Assert.Equal(["race-one", "race-two"], production.Select(c => c.Deployment!.Run).Order());
        Assert.Equal(results.Select(r => r.Commit.Sha).Order(), production.Select(c => c.Sha).Order());
        // Consistent: production's files are exactly the newest promotion's, and the history is linear.
        var newest = production[0];
        var manifests = await sandbox.Repository("reader").ReadEnvironmentAsync("production", cancellationToken: Token);
        Assert.Equal(newest.Deployment!.Image, manifests!.Image);
        Slipway.Delivery.Manifests.ManifestValidator.ThrowIfInvalid(manifests);
        var merges = await GitSandbox.GitAsync(sandbox.Git.BareRepository, "log", "--merges", "--format=%H", "main");
        Assert.Empty(merges.Trim());
    }
}
