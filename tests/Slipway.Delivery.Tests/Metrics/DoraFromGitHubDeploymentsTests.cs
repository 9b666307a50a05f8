using System.Globalization;
using Slipway.Delivery.GitHub;
using Slipway.Delivery.Metrics;
using Slipway.Delivery.Tests.ConfigRepo;

namespace Slipway.Delivery.Tests.Metrics;

/// <summary>
/// GitHub Deployments (a deployment and its statuses, as the API gives them) turned into deployment events and DORA
/// figures. Every expected figure is worked out from the times written in the test; the window is the 7 days
/// 2026-11-22 … 2026-11-28 (UTC).
/// </summary>
public sealed class DoraFromGitHubDeploymentsTests
{
    private static readonly DateTimeOffset Now = At("2026-11-28T12:00:00Z");
    private static readonly DoraWindow Week = DoraWindow.LastDays(7, Now);
    private readonly CollectingSink logs = new();

    private static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    private static string Sha(char c) => new(c, 40);

    /// <summary>A deployment of <paramref name="sha"/> created at <paramref name="created"/>, with the statuses (state, time) posted on it.</summary>
    private static GitHubDeploymentSnapshot Deployment(long id, string sha, string created, Dictionary<string, string>? payload,
        params (GitHubDeploymentState State, string At)[] statuses) =>
        Deployment(id, sha, sha, created, payload, statuses);

    private static GitHubDeploymentSnapshot Deployment(long id, string sha, string reference, string created, Dictionary<string, string>? payload,
        params (GitHubDeploymentState State, string At)[] statuses) =>
        GitHubDeploymentSnapshot.From(
            new GitHubDeployment(id, sha, reference, "production", "slipway-bot", payload ?? [], At(created), At(created)),
            // GitHub lists statuses newest first; the reduction must not depend on the order.
            statuses.Select((status, index) => new GitHubDeploymentStatus(id * 100 + index, status.State, status.State.ToString(), null, null, At(status.At)))
                .Reverse().ToList());

    /// <summary>Slipway's payload (GitHubDelivery.StartDeploymentAsync writes these keys).</summary>
    private static Dictionary<string, string> Slipway(string sourceCommit, string sourceTime, string? rollbackOf = null, string run = "run-1")
    {
        var payload = new Dictionary<string, string>
        {
            [GitHubDelivery.PayloadKeys.Image] = "127.0.0.1:5000/beacon@sha256:" + new string('4', 64),
            [GitHubDelivery.PayloadKeys.SourceCommit] = sourceCommit,
            [GitHubDelivery.PayloadKeys.SourceTime] = sourceTime,
            [GitHubDelivery.PayloadKeys.Run] = run,
        };
        if (rollbackOf is not null) payload[GitHubDelivery.PayloadKeys.RollbackOf] = rollbackOf;
        return payload;
    }

    private static (GitHubDeploymentState, string) Success(string at) => (GitHubDeploymentState.Success, at);
    private static (GitHubDeploymentState, string) Running(string at) => (GitHubDeploymentState.InProgress, at);
    private static (GitHubDeploymentState, string) Failure(string at) => (GitHubDeploymentState.Failure, at);
    private static (GitHubDeploymentState, string) Inactive(string at) => (GitHubDeploymentState.Inactive, at);

    private async Task<(DeploymentHistory History, DoraReport Report)> ComputeAsync(SourceRepository? source, params GitHubDeploymentSnapshot[] deployments)
    {
        var history = await GitHubDeploymentHistoryReader.FromSnapshotsAsync("production", deployments, source, logs.Logger(), TestContext.Current.CancellationToken);
        return (history, DoraCalculator.Compute(history, [], Week));
    }

    [Fact]
    public async Task Several_deploys_count_from_their_first_success_and_credit_the_payloads_source_commit()
    {
        var (history, report) = await ComputeAsync(null,
            Deployment(1, Sha('a'), "2026-11-24T10:00:00Z", Slipway(Sha('1'), "2026-11-24T08:00:00Z"),
                Running("2026-11-24T10:00:05Z"), Success("2026-11-24T10:05:00Z"), Inactive("2026-11-25T10:10:00Z")),
            Deployment(2, Sha('b'), "2026-11-25T10:00:00Z", Slipway(Sha('2'), "2026-11-25T09:00:00+01:00"),
                Running("2026-11-25T10:00:05Z"), Success("2026-11-25T10:10:00Z"), Inactive("2026-11-26T10:30:00Z")),
            Deployment(3, Sha('c'), "2026-11-26T10:00:00Z", Slipway(Sha('3'), "2026-11-26T06:30:00Z"),
                Running("2026-11-26T10:00:05Z"), Success("2026-11-26T10:30:00Z")));

        Assert.Equal([At("2026-11-24T10:05:00Z"), At("2026-11-25T10:10:00Z"), At("2026-11-26T10:30:00Z")], history.Events.Select(e => e.Time));
        Assert.All(history.Events, e => Assert.Equal((DeploymentKind.Deploy, false), (e.Kind, e.Failed)));
        Assert.Equal([Sha('1'), Sha('2'), Sha('3')], history.Events.Select(e => e.SourceCommit));
        Assert.Equal(3, report.DeploymentFrequency.Deployments);
        Assert.Equal(3.0 / 7, report.DeploymentFrequency.PerDay, 9);
        Assert.Equal(3, report.DeploymentFrequency.DaysWithDeploys);
        // Lead times: 2 h 05, 2 h 10 (09:00+01:00 is 08:00Z), 4 h; p90 = 2 h 10 + 0.8 × (4 h − 2 h 10).
        Assert.Equal(3, report.LeadTime.Changes);
        Assert.Equal(TimeSpan.FromMinutes(130), report.LeadTime.Median);
        Assert.Equal(TimeSpan.FromMinutes(218), report.LeadTime.P90);
        Assert.Equal(0.0, report.ChangeFailureRate.Rate);
        Assert.Equal(0, report.RecoveryTime.Restored + report.RecoveryTime.Unresolved);
        Assert.Equal("run-1", report.Deployments[0].Run);
    }

    [Fact]
    public async Task A_deployment_whose_final_status_is_failure_or_error_is_a_failed_deployment_restored_by_the_next_that_works()
    {
        var (history, report) = await ComputeAsync(null,
            Deployment(1, Sha('a'), "2026-11-24T10:00:00Z", Slipway(Sha('1'), "2026-11-24T08:00:00Z"), Success("2026-11-24T10:05:00Z")),
            Deployment(2, Sha('b'), "2026-11-25T10:00:00Z", Slipway(Sha('2'), "2026-11-25T08:00:00Z"),
                Running("2026-11-25T10:00:05Z"), Failure("2026-11-25T10:20:00Z")),
            Deployment(3, Sha('c'), "2026-11-25T11:00:00Z", Slipway(Sha('3'), "2026-11-25T10:30:00Z"), Success("2026-11-25T11:15:00Z")),
            Deployment(4, Sha('d'), "2026-11-27T09:00:00Z", Slipway(Sha('4'), "2026-11-27T08:00:00Z"), (GitHubDeploymentState.Error, "2026-11-27T09:05:00Z")));

        Assert.Equal([false, true, false, true], history.Events.Select(e => e.Failed));
        // A failure never went live: it is timed at its creation and credits nothing.
        Assert.Equal(At("2026-11-25T10:00:00Z"), history.Events[1].Time);
        Assert.Empty(history.Events[1].Changes);
        Assert.Equal(4, report.ChangeFailureRate.Deployments);
        Assert.Equal(2, report.ChangeFailureRate.Failed);
        Assert.Equal(0.5, report.ChangeFailureRate.Rate);
        // Deploy 2 failed at 10:00 and deploy 3 worked at 11:15; deploy 4 is still failing.
        Assert.Equal((1, 1), (report.RecoveryTime.Restored, report.RecoveryTime.Unresolved));
        Assert.Equal(TimeSpan.FromMinutes(75), report.RecoveryTime.Median);
        var restored = Assert.Single(report.Failures, f => f.RestoredBy is not null);
        Assert.Equal((Sha('b'), Sha('c'), DeploymentKind.Deploy), (restored.Deployment, restored.RestoredBy, restored.RestoredByKind));
        Assert.Null(Assert.Single(report.Failures, f => f.Deployment == Sha('d')).RestoredAt);
        // Without the source repo each deploy that worked credits its head commit: 2 h 05 and 45 min.
        Assert.Equal([Sha('1'), Sha('3')], report.LeadTimes.Select(row => row.SourceCommit));
        // Time in service: from the first deploy (24th 10:05) to now (28th 12:00), over two failures.
        Assert.Equal(2, report.MeanTimeToFailure.Failures);
        Assert.Equal(TimeSpan.FromDays(4) + TimeSpan.FromMinutes(115), report.MeanTimeToFailure.ObservedTime);
        Assert.Equal((TimeSpan.FromDays(4) + TimeSpan.FromMinutes(115)) / 2, report.MeanTimeToFailure.Mean);
    }

    [Fact]
    public async Task A_later_rollback_of_names_its_deployment_a_failed_change_and_restores_service()
    {
        var (history, report) = await ComputeAsync(null,
            Deployment(1, Sha('a'), "2026-11-24T10:00:00Z", Slipway(Sha('1'), "2026-11-24T08:00:00Z"), Success("2026-11-24T10:05:00Z")),
            Deployment(2, Sha('b'), "2026-11-25T10:00:00Z", Slipway(Sha('2'), "2026-11-25T08:00:00Z"),
                Success("2026-11-25T10:05:00Z"), Inactive("2026-11-25T12:02:00Z")),
            Deployment(3, Sha('c'), "2026-11-25T12:00:00Z", Slipway(Sha('1'), "2026-11-24T08:00:00Z", rollbackOf: Sha('b')), Success("2026-11-25T12:02:00Z")));

        Assert.Equal([DeploymentKind.Deploy, DeploymentKind.Deploy, DeploymentKind.Rollback], history.Events.Select(e => e.Kind));
        Assert.Empty(history.Events[2].Changes);
        Assert.Equal(2, report.DeploymentFrequency.Deployments);
        Assert.Equal(0.5, report.ChangeFailureRate.Rate);
        var failure = Assert.Single(report.Failures);
        Assert.Equal((Sha('b'), Sha('c'), DeploymentKind.Rollback), (failure.Deployment, failure.RestoredBy, failure.RestoredByKind));
        Assert.Equal(TimeSpan.FromMinutes(117), failure.RecoveryTime);
        Assert.Equal(1, report.DeploysPerDay.Single(day => day.Day == new DateOnly(2026, 11, 25)).Rollbacks);
        Assert.Equal(2, report.LeadTime.Changes);
    }

    [Fact]
    public async Task A_deployment_whose_payload_marks_a_fix_is_rework_and_makes_the_deploy_it_fixes_a_failed_change()
    {
        var fix = Slipway(Sha('3'), "2026-11-25T11:00:00Z");
        fix[GitHubDelivery.PayloadKeys.ChangeType] = "fix";
        fix[GitHubDelivery.PayloadKeys.FixOf] = Sha('b');
        var (history, report) = await ComputeAsync(null,
            Deployment(1, Sha('a'), "2026-11-24T10:00:00Z", Slipway(Sha('1'), "2026-11-24T08:00:00Z"), Success("2026-11-24T10:05:00Z")),
            Deployment(2, Sha('b'), "2026-11-25T10:00:00Z", Slipway(Sha('2'), "2026-11-25T08:00:00Z"), Success("2026-11-25T10:05:00Z")),
            Deployment(3, Sha('c'), "2026-11-25T12:00:00Z", fix, Success("2026-11-25T12:05:00Z")));

        Assert.Equal([false, false, true], history.Events.Select(e => e.IsFix));
        Assert.Equal(Sha('b'), history.Events[2].FixOf);
        Assert.Equal((3, 1), (report.ReworkRate.Deployments, report.ReworkRate.Fixes));
        var failure = Assert.Single(report.Failures);
        Assert.Equal((Sha('b'), Sha('c')), (failure.Deployment, failure.RestoredBy));
        Assert.Equal(TimeSpan.FromHours(2), failure.RecoveryTime);
    }

    [Fact]
    public async Task A_rollback_of_a_rollback_is_a_redeploy_and_a_rollback_may_name_the_ref()
    {
        var (history, report) = await ComputeAsync(null,
            Deployment(1, Sha('a'), "2026-11-24T10:00:00Z", Slipway(Sha('1'), "2026-11-24T08:00:00Z"), Success("2026-11-24T10:05:00Z")),
            Deployment(2, Sha('b'), "release-2", "2026-11-25T10:00:00Z", Slipway(Sha('2'), "2026-11-25T08:00:00Z"), Success("2026-11-25T10:05:00Z")),
            Deployment(3, Sha('c'), "2026-11-25T12:00:00Z", Slipway(Sha('1'), "2026-11-24T08:00:00Z", rollbackOf: "release-2"), Success("2026-11-25T12:00:30Z")),
            Deployment(4, Sha('e'), "2026-11-26T09:00:00Z", Slipway(Sha('2'), "2026-11-25T08:00:00Z", rollbackOf: Sha('c')[..12]), Success("2026-11-26T09:01:00Z")));

        Assert.Equal([DeploymentKind.Deploy, DeploymentKind.Deploy, DeploymentKind.Rollback, DeploymentKind.Redeploy], history.Events.Select(e => e.Kind));
        Assert.Equal(Sha('b'), history.Events[2].RollbackOf); // the ref resolved to the deployment's commit
        Assert.Empty(history.Events[3].Changes);
        Assert.Equal(3, report.DeploymentFrequency.Deployments);
        Assert.Equal((1, 3), (report.ChangeFailureRate.Failed, report.ChangeFailureRate.Deployments));
        Assert.Equal(TimeSpan.FromSeconds(115 * 60 + 30), report.RecoveryTime.Median);
        Assert.Equal(2, report.LeadTime.Changes); // the redeploy credits nothing
    }

    [Fact]
    public async Task A_failed_attempt_and_its_successful_retry_of_the_same_commit_are_two_deployments_one_failed()
    {
        var (_, report) = await ComputeAsync(null,
            Deployment(1, Sha('a'), "2026-11-26T10:00:00Z", Slipway(Sha('1'), "2026-11-26T08:00:00Z"), Failure("2026-11-26T10:03:00Z")),
            Deployment(2, Sha('a'), "2026-11-26T10:30:00Z", Slipway(Sha('1'), "2026-11-26T08:00:00Z", run: "run-2"), Success("2026-11-26T10:40:00Z")));

        Assert.Equal((2, 1), (report.ChangeFailureRate.Deployments, report.ChangeFailureRate.Failed));
        Assert.Equal([true, false], report.Deployments.Select(row => row.Failed));
        Assert.Equal(TimeSpan.FromMinutes(40), report.RecoveryTime.Median);
        // The source commit reached the environment with the retry: 2 h 40 min.
        Assert.Equal(TimeSpan.FromMinutes(160), Assert.Single(report.LeadTimes).LeadTime);
    }

    [Fact]
    public async Task Deployments_without_Slipways_payload_use_their_sha_and_creation_time_and_those_without_an_outcome_are_left_out()
    {
        var (history, report) = await ComputeAsync(null,
            Deployment(10, Sha('f'), "2026-11-24T10:00:00Z", null, Success("2026-11-24T10:03:00Z")),
            Deployment(11, Sha('9'), "2026-11-25T10:00:00Z", null), // another tool that posts no statuses
            Deployment(12, Sha('8'), "2026-11-28T11:00:00Z", Slipway(Sha('2'), "2026-11-28T09:00:00Z"), Running("2026-11-28T11:00:05Z")));

        var only = Assert.Single(history.Events);
        Assert.Equal((Sha('f'), Sha('f'), At("2026-11-24T10:00:00Z"), ""), (only.Sha, only.SourceCommit, only.SourceTime, only.Image));
        Assert.Equal(1, report.DeploymentFrequency.Deployments);
        // Nothing better known: the lead time is only the deployment's own 3 minutes.
        Assert.Equal(TimeSpan.FromMinutes(3), report.LeadTime.Median);
        Assert.Contains("2 GitHub deployment(s) to production neither succeeded nor failed", logs.Text, StringComparison.Ordinal);
        Assert.Contains("1 GitHub deployment(s) to production carry no Slipway payload", logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_source_repo_every_commit_between_deploys_is_credited_and_a_failed_deploys_commits_go_to_the_next_that_works()
    {
        using var git = await DeliveryHistory.CreateAsync();
        var c1 = await git.SourceCommitAsync("2026-11-23T08:00:00Z");
        var c2 = await git.SourceCommitAsync("2026-11-24T08:00:00Z");
        var c3 = await git.SourceCommitAsync("2026-11-25T08:00:00Z");
        var c4 = await git.SourceCommitAsync("2026-11-26T08:00:00+02:00");
        var source = new SourceRepository(git.SourceDirectory, logs.Logger());

        var (history, report) = await ComputeAsync(source,
            Deployment(1, Sha('a'), "2026-11-23T09:55:00Z", Slipway(c1, "2026-11-23T08:00:00Z"), Success("2026-11-23T10:00:00Z")),
            Deployment(2, Sha('b'), "2026-11-24T10:00:00Z", Slipway(c2, "2026-11-24T08:00:00Z"), Failure("2026-11-24T10:10:00Z")),
            Deployment(3, Sha('c'), "2026-11-25T09:55:00Z", Slipway(c3, "2026-11-25T08:00:00Z"), Success("2026-11-25T10:00:00Z")),
            // Another tool deployed c4 with no payload: the source repo knows the commit's time.
            Deployment(4, c4, "2026-11-26T07:00:00Z", null, Success("2026-11-26T07:30:00Z")));

        Assert.Equal([c1, "", $"{c2},{c3}", c4], history.Events.Select(e => string.Join(",", e.Changes.Select(change => change.Sha))));
        Assert.Equal(At("2026-11-26T06:00:00Z"), history.Events[3].SourceTime);
        // c1 2 h; c2 26 h (first live with deploy 3); c3 2 h; c4 1 h 30.
        Assert.Equal([TimeSpan.FromHours(2), TimeSpan.FromHours(26), TimeSpan.FromHours(2), TimeSpan.FromMinutes(90)],
            report.LeadTimes.Select(row => row.LeadTime));
        Assert.Equal(TimeSpan.FromHours(2), report.LeadTime.Median);
        Assert.Equal((4, 1), (report.ChangeFailureRate.Deployments, report.ChangeFailureRate.Failed));
    }
}
