using Slipway.Delivery.Metrics;

namespace Slipway.Delivery.Tests.Metrics;

/// <summary>
/// DORA figures from real throw-away Git repositories (a config repo and a source repo) whose commits are dated by hand,
/// with offsets, so every expected figure below is worked out from the dates in the test.
/// </summary>
public sealed class DoraFromGitTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-28T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private DeliveryHistory git = null!;

    public async ValueTask InitializeAsync() => git = await DeliveryHistory.CreateAsync();

    public ValueTask DisposeAsync()
    {
        git.Dispose();
        return ValueTask.CompletedTask;
    }

    private Task<DoraReport> ComputeAsync(int days = 7, DateTimeOffset? now = null, TimeZoneInfo? zone = null, bool withSource = true) =>
        new DoraMetrics(git.Repository(), git.Logs.Logger()).ComputeAsync(
            new DoraRequest("production", days, withSource ? git.SourceDirectory : null, Path.Combine(git.Root, "artifacts"), zone, now ?? Now),
            TestContext.Current.CancellationToken);

    private static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task No_deploys_gives_no_figures_and_no_clusters()
    {
        var report = await ComputeAsync();

        Assert.Equal(0, report.DeploymentFrequency.Deployments);
        Assert.Equal(0, report.DeploymentFrequency.PerDay);
        Assert.Equal(FourKeysBucket.None, report.DeploymentFrequency.FourKeysBucket);
        Assert.Null(report.DeploymentFrequency.Cluster);
        Assert.Null(report.LeadTime.Median);
        Assert.Null(report.ChangeFailureRate.Rate);
        Assert.Null(report.RecoveryTime.Median);
        Assert.Null(report.MeanTimeToFailure.Mean);
        Assert.Null(report.ReworkRate.Rate);
        Assert.Equal(7, report.DeploysPerDay.Count);
        Assert.All(report.DeploysPerDay, day => Assert.Equal(0, day.Deployments));
    }

    [Fact]
    public async Task A_feature_flag_switched_with_SetFlag_is_not_a_deployment()
    {
        var change = await git.SourceCommitAsync("2026-11-25T08:00:00Z");
        await git.DeployAsync("2026-11-25T10:00:00Z", change);
        await git.SetFlagAsync("2026-11-26T10:00:00Z", change, "Greeting.V2=on");

        var report = await ComputeAsync();

        Assert.Equal(1, report.DeploymentFrequency.Deployments);
        Assert.Equal(TimeSpan.FromHours(2), report.LeadTime.Median);
    }

    [Fact]
    public async Task One_deploy()
    {
        var change = await git.SourceCommitAsync("2026-11-25T08:00:00Z");
        var deploy = await git.DeployAsync("2026-11-25T10:00:00Z", change);

        var report = await ComputeAsync();

        Assert.Equal(1, report.DeploymentFrequency.Deployments);
        Assert.Equal(1.0 / 7, report.DeploymentFrequency.PerDay, 9);
        Assert.Equal(1.0, report.DeploymentFrequency.PerWeek, 9);
        Assert.Equal(FourKeysBucket.Weekly, report.DeploymentFrequency.FourKeysBucket);
        Assert.Equal(PerformanceCluster.High, report.DeploymentFrequency.Cluster);
        Assert.Equal(TimeSpan.FromHours(2), report.LeadTime.Median);
        Assert.Equal(TimeSpan.FromHours(2), report.LeadTime.P90);
        Assert.Equal(PerformanceCluster.Elite, report.LeadTime.Cluster);
        Assert.Equal(0.0, report.ChangeFailureRate.Rate);
        Assert.Equal(PerformanceCluster.Elite, report.ChangeFailureRate.Cluster);
        Assert.Null(report.RecoveryTime.Median);
        Assert.Equal(0, report.MeanTimeToFailure.Failures);
        Assert.Equal(TimeSpan.FromDays(3) + TimeSpan.FromHours(2), report.MeanTimeToFailure.ObservedTime);
        Assert.Equal(0.0, report.ReworkRate.Rate);
        var row = Assert.Single(report.Deployments);
        Assert.Equal(deploy, row.Sha);
        Assert.Equal(change, Assert.Single(report.LeadTimes).SourceCommit);
        Assert.Equal(1, report.DeploysPerDay.Single(day => day.Day == new DateOnly(2026, 11, 25)).Deployments);
    }

    [Fact]
    public async Task Every_source_commit_between_two_deploys_is_credited_not_only_the_head()
    {
        var first = await git.SourceCommitAsync("2026-11-20T09:00:00Z");
        await git.DeployAsync("2026-11-20T10:00:00Z", first);
        var second = await git.SourceCommitAsync("2026-11-21T08:00:00Z");          // 4 h before the deploy
        var third = await git.SourceCommitAsync("2026-11-21T11:00:00+02:00");      // 09:00 UTC: 3 h
        var head = await git.SourceCommitAsync("2026-11-21T05:00:00-05:00");       // 10:00 UTC: 2 h
        var deploy = await git.DeployAsync("2026-11-21T12:00:00Z", head);

        var report = await ComputeAsync(days: 30);

        Assert.Equal([first, second, third, head], report.LeadTimes.Select(row => row.SourceCommit));
        Assert.Equal([1, 4, 3, 2], report.LeadTimes.Select(row => row.LeadTime.TotalHours));
        Assert.Equal(3, report.Deployments.Single(row => row.Sha == deploy).Changes);
        Assert.Equal(TimeSpan.FromHours(2.5), report.LeadTime.Median);                // PERCENTILE_CONT over 1, 2, 3, 4 h
        Assert.Equal(TimeSpan.FromHours(3.7), report.LeadTime.P90);

        // Without the source repository only head commits are known (Four Keys' gap): 1 h and 2 h.
        var headsOnly = await ComputeAsync(days: 30, withSource: false);
        Assert.Equal([first, head], headsOnly.LeadTimes.Select(row => row.SourceCommit));
        Assert.Equal(TimeSpan.FromHours(1.5), headsOnly.LeadTime.Median);
    }

    [Fact]
    public async Task A_rollback_of_a_rollback_is_a_redeploy_and_the_first_failure_stands()
    {
        var v1 = await git.SourceCommitAsync("2026-11-22T08:00:00Z");
        var d1 = await git.DeployAsync("2026-11-22T09:00:00Z", v1);
        var v2 = await git.SourceCommitAsync("2026-11-23T08:00:00Z");
        var d2 = await git.DeployAsync("2026-11-23T10:00:00Z", v2);
        var r1 = await git.RollbackAsync("2026-11-23T10:45:00Z", d2, v1);
        var r2 = await git.RollbackAsync("2026-11-24T09:00:00Z", r1, v2);
        var v3 = await git.SourceCommitAsync("2026-11-25T08:00:00Z");
        var d3 = await git.DeployAsync("2026-11-25T09:00:00Z", v3);

        var report = await ComputeAsync();

        Assert.Equal([DeploymentKind.Deploy, DeploymentKind.Deploy, DeploymentKind.Rollback, DeploymentKind.Redeploy, DeploymentKind.Deploy],
            report.Deployments.Select(row => row.Kind));
        Assert.Equal(4, report.DeploymentFrequency.Deployments);                      // d1, d2, r2 (re-deploys v2), d3
        var failure = Assert.Single(report.Failures);
        Assert.Equal(d2, failure.Deployment);
        Assert.Equal(r1, failure.RestoredBy);
        Assert.Equal(TimeSpan.FromMinutes(45), failure.RecoveryTime);
        Assert.Equal(0.25, report.ChangeFailureRate.Rate);
        Assert.Equal(PerformanceCluster.High, report.ChangeFailureRate.Cluster);       // nearest of 5/10/20/40 %
        Assert.Equal(TimeSpan.FromMinutes(45), report.RecoveryTime.Median);
        Assert.Equal(PerformanceCluster.Elite, report.RecoveryTime.Cluster);
        Assert.Equal(0, report.Deployments.Single(row => row.Sha == r2).Changes);      // v2 was credited at d2
        Assert.Equal([v1, v2, v3], report.LeadTimes.Select(row => row.SourceCommit)); // d3 credits v3 only
        Assert.Equal(TimeSpan.FromHours(1), report.LeadTime.Median);
        Assert.Equal(1, report.DeploysPerDay.Single(day => day.Day == new DateOnly(2026, 11, 23)).Rollbacks);
        // In service from d1 (2026-11-22 09:00) to now (2026-11-28 12:00), one failure.
        Assert.Equal(TimeSpan.FromDays(6) + TimeSpan.FromHours(3), report.MeanTimeToFailure.Mean);
        Assert.DoesNotContain(report.Deployments, row => row.Sha == d1 && row.Failed);

        // Reverting the redeploy makes the redeploy a failure in turn.
        var r3 = await git.RollbackAsync("2026-11-25T09:30:00Z", r2, v1);
        var again = await ComputeAsync();
        Assert.Equal([d2, r2], again.Failures.Select(row => row.Deployment));
        Assert.Equal(r3, again.Failures[1].RestoredBy);
    }

    [Fact]
    public async Task Days_split_at_midnight_in_the_zone_asked_for_while_lead_times_use_instants()
    {
        var v1 = await git.SourceCommitAsync("2026-11-26T23:00:00-05:00");            // 2026-11-27 04:00 UTC
        await git.DeployAsync("2026-11-27T05:30:00+01:00", v1);                          // 04:30 UTC: 30 min later
        var v2 = await git.SourceCommitAsync("2026-11-27T21:00:00Z");
        await git.DeployAsync("2026-11-28T00:30:00+02:00", v2);                          // 2026-11-27 22:30 UTC: 1.5 h later
        var now = At("2026-11-28T03:00:00Z");

        var utc = await ComputeAsync(now: now);
        var newYork = await ComputeAsync(now: now, zone: TimeZoneInfo.FindSystemTimeZoneById("America/New_York"));

        Assert.Equal(new DateOnly(2026, 11, 28), utc.Window.LastDay);
        Assert.Equal(2, utc.DeploysPerDay.Single(day => day.Day == new DateOnly(2026, 11, 27)).Deployments);
        Assert.Equal(1, utc.DeploymentFrequency.DaysWithDeploys);
        Assert.Equal(new DateOnly(2026, 11, 27), newYork.Window.LastDay);               // 22:00 on the 27th in New York
        Assert.Equal(At("2026-11-21T05:00:00Z"), newYork.Window.Start);                 // midnight EST of the first day
        Assert.Equal(1, newYork.DeploysPerDay.Single(day => day.Day == new DateOnly(2026, 11, 26)).Deployments);
        Assert.Equal(1, newYork.DeploysPerDay.Single(day => day.Day == new DateOnly(2026, 11, 27)).Deployments);
        Assert.Equal(2, newYork.DeploymentFrequency.DaysWithDeploys);
        foreach (var report in new[] { utc, newYork })
            Assert.Equal([TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(90)], report.LeadTimes.Select(row => row.LeadTime));
        Assert.All(utc.Deployments, row => Assert.Equal(TimeSpan.Zero, row.Time.Offset));
    }

    [Fact]
    public async Task A_fix_forward_marks_the_deploy_before_it_failed_and_counts_as_rework()
    {
        var v1 = await git.SourceCommitAsync("2026-11-24T08:00:00Z");
        await git.DeployAsync("2026-11-24T09:00:00Z", v1, changeType: "feature");
        var v2 = await git.SourceCommitAsync("2026-11-24T09:30:00Z");
        var broken = await git.DeployAsync("2026-11-24T10:00:00Z", v2);
        var v3 = await git.SourceCommitAsync("2026-11-24T11:00:00Z");
        var fix = await git.DeployAsync("2026-11-24T11:30:00Z", v3, changeType: "fix");

        var report = await ComputeAsync();

        var failure = Assert.Single(report.Failures);
        Assert.Equal(broken, failure.Deployment);
        Assert.Equal(fix, failure.RestoredBy);
        Assert.True(failure.RestoredByFix);
        Assert.Equal(TimeSpan.FromHours(1.5), failure.RecoveryTime);
        Assert.Equal(PerformanceCluster.High, report.RecoveryTime.Cluster);
        Assert.Equal(1.0 / 3, report.ChangeFailureRate.Rate!.Value, 9);
        Assert.Equal(PerformanceCluster.Low, report.ChangeFailureRate.Cluster);          // 33 % is nearest low's 40 %
        Assert.Equal(1, report.ReworkRate.Fixes);
        Assert.Equal(1.0 / 3, report.ReworkRate.Rate!.Value, 9);
    }

    [Fact]
    public async Task A_fix_names_the_deploy_it_repairs_and_a_fix_after_a_rollback_is_rework_only()
    {
        var v1 = await git.SourceCommitAsync("2026-11-25T08:00:00Z");
        var named = await git.DeployAsync("2026-11-25T10:00:00Z", v1);
        var v2 = await git.SourceCommitAsync("2026-11-25T11:00:00Z");
        await git.DeployAsync("2026-11-25T12:00:00Z", v2);
        var v3 = await git.SourceCommitAsync("2026-11-25T12:30:00Z");
        var namedFix = await git.DeployAsync("2026-11-25T13:00:00Z", v3, changeType: "fix", fixOf: named[..12]);
        var v4 = await git.SourceCommitAsync("2026-11-26T08:00:00Z");
        var rolledBack = await git.DeployAsync("2026-11-26T09:00:00Z", v4);
        var rollback = await git.RollbackAsync("2026-11-26T09:20:00Z", rolledBack, v3);
        var v5 = await git.SourceCommitAsync("2026-11-26T15:00:00Z");
        await git.DeployAsync("2026-11-26T16:00:00Z", v5, changeType: "fix");

        var report = await ComputeAsync();

        Assert.Equal([(named, namedFix), (rolledBack, rollback)], report.Failures.Select(row => (row.Deployment, row.RestoredBy!)));
        Assert.Equal([TimeSpan.FromHours(3), TimeSpan.FromMinutes(20)], report.Failures.Select(row => row.RecoveryTime!.Value));
        Assert.Equal(5, report.DeploymentFrequency.Deployments);
        Assert.Equal(0.4, report.ChangeFailureRate.Rate);
        Assert.Equal(2, report.ReworkRate.Fixes);
        Assert.Equal(TimeSpan.FromMinutes(100), report.RecoveryTime.Median);
    }
}
