using Slipway.Delivery.RunRecords;

namespace Slipway.Delivery.Metrics;

/// <summary>
/// The DORA arithmetic: pure, on instants (UTC), over an environment's events and the pipeline's run records.
/// <list type="bullet">
/// <item>Deployments are <see cref="DeploymentKind.Deploy"/> and <see cref="DeploymentKind.Redeploy"/> events; rollbacks restore
/// service and are counted apart.</item>
/// <item>A deployment failed when a later rollback reverts it, or a later fix names it (Slipway-Fix-Of), or a fix without a
/// name follows it directly (no rollback between). Service is restored by the earliest of those commits.</item>
/// <item>Rollback of a rollback (D2, R1 reverts D2, R2 reverts R1): R2 is a redeploy — one more deployment, no source
/// commits credited; D2 stays a failure recovered at R1 (its restore happened, and the re-deploy does not undo the
/// outage). R2 fails in turn if something reverts or fixes it.</item>
/// <item>An event that reported its own failure (<see cref="DeploymentEvent.Failed"/>: a GitHub deployment whose final status
/// is failure or error) is a failed deployment at once, restored by the next event after it that did not fail (a deploy,
/// redeploy or rollback: the environment works again), or by a rollback naming it, whichever comes first; until then it is
/// unresolved. A failed event never restores anything (a failed rollback leaves the failure open).</item>
/// <item>Outcomes are judged on the whole history (a deploy in the window rolled back after it still failed); figures count
/// the deployments made inside the window.</item>
/// </list>
/// </summary>
public static class DoraCalculator
{
    public static DoraReport Compute(DeploymentHistory history, IReadOnlyList<RunRecord> runs, DoraWindow window)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(window);
        var events = history.Events.OrderBy(e => e.Time).ToList();
        var outcomes = Outcomes(events);
        var inWindow = events.Where(e => window.Contains(e.Time)).ToList();
        var deployments = inWindow.Where(e => e.IsDeployment).ToList();

        var frequency = Frequency(deployments, window);
        var leadTimes = deployments
            .SelectMany(deploy => deploy.Changes.Select(change => new LeadTimeRow(change.Sha, change.Time.ToUniversalTime(), deploy.Sha,
                deploy.Time.ToUniversalTime(), Max(deploy.Time - change.Time, TimeSpan.Zero))))
            .OrderBy(row => row.DeployedAt).ThenBy(row => row.CommittedAt)
            .ToList();
        var leadMedian = Statistics.Median(leadTimes.Select(row => row.LeadTime));
        var leadTime = new LeadTimeFigure(leadTimes.Count, leadMedian, Statistics.Percentile(leadTimes.Select(row => row.LeadTime), 0.9),
            leadMedian is { } lead ? PerformanceClusters.LeadTime(lead) : null);

        var failures = deployments.Where(outcomes.ContainsKey)
            .Select(d =>
            {
                var restore = outcomes[d];
                return new FailureRow(d.Sha, d.Time.ToUniversalTime(), restore?.Sha, restore?.Kind, restore?.IsFix ?? false,
                    restore?.Time.ToUniversalTime(), restore is null ? null : restore.Time - d.Time);
            })
            .ToList();
        double? failureRate = deployments.Count == 0 ? null : (double)failures.Count / deployments.Count;
        var changeFailureRate = new ChangeFailureRateFigure(deployments.Count, failures.Count, failureRate,
            failureRate is { } rate ? PerformanceClusters.ChangeFailureRate(rate) : null);

        var recoveries = failures.Where(f => f.RecoveryTime is not null).Select(f => f.RecoveryTime!.Value).ToList();
        var recoveryMedian = Statistics.Median(recoveries);
        var recovery = new RecoveryTimeFigure(recoveries.Count, failures.Count - recoveries.Count, recoveryMedian,
            recoveryMedian is { } median ? PerformanceClusters.RecoveryTime(median) : null);

        // Time in service: from the window's start (or the environment's first deploy, if later) to now (or the window's end).
        var observedFrom = events.Count == 0 ? window.End : Max(window.Start, events[0].Time.ToUniversalTime());
        var observedTo = window.Now < window.End ? window.Now : window.End;
        var observed = Max(observedTo - observedFrom, TimeSpan.Zero);
        var meanTimeToFailure = new MeanTimeToFailureFigure(failures.Count, observed,
            failures.Count == 0 ? null : TimeSpan.FromTicks(observed.Ticks / failures.Count));

        var fixes = deployments.Count(d => d.IsFix);
        var rework = new ReworkRateFigure(deployments.Count, fixes, deployments.Count == 0 ? null : (double)fixes / deployments.Count);

        var perDay = window.EachDay().Select(day => new DayCount(day,
                deployments.Count(d => window.DayOf(d.Time) == day),
                failures.Count(f => window.DayOf(f.FailedAt) == day),
                inWindow.Count(e => e.Kind == DeploymentKind.Rollback && !e.Failed && window.DayOf(e.Time) == day)))
            .ToList();

        var rows = inWindow.Select(e =>
        {
            var failed = outcomes.TryGetValue(e, out var restore);
            return new DeploymentRow(e.Sha, e.Time.ToUniversalTime(), e.Kind, e.IsFix, e.Image, e.SourceCommit, e.Changes.Count, failed,
                restore?.Sha, restore?.Time.ToUniversalTime(), e.Run);
        }).ToList();

        return new DoraReport(history.Environment,
            new DoraWindowInfo(window.Days, window.FirstDay, window.LastDay, window.Start, window.End, window.Zone.Id),
            window.Now, frequency, leadTime, changeFailureRate, recovery, meanTimeToFailure, rework, StageCycleTimes(runs, window),
            perDay, rows, leadTimes, failures, history.Source);
    }

    /// <summary>
    /// Failed deployments mapped to the event that restored service, or null while failing. Keyed by the event itself, not
    /// its commit: GitHub may hold several deployments of one commit (a failed attempt and its successful retry).
    /// </summary>
    public static IReadOnlyDictionary<DeploymentEvent, DeploymentEvent?> Outcomes(IReadOnlyList<DeploymentEvent> events)
    {
        var outcomes = new Dictionary<DeploymentEvent, DeploymentEvent?>(ReferenceEqualityComparer.Instance);
        var reportedFailures = new List<DeploymentEvent>();
        for (var index = 0; index < events.Count; index++)
        {
            var current = events[index];
            if (current.Failed)
            {
                if (current.IsDeployment && outcomes.TryAdd(current, null)) reportedFailures.Add(current);
                continue;
            }
            // Any event that worked restores every reported failure still open before it.
            foreach (var open in reportedFailures) outcomes[open] ??= current;
            reportedFailures.Clear();

            DeploymentEvent? failed = null;
            if (current.Kind == DeploymentKind.Rollback)
                failed = Find(events, index, current.RollbackOf);
            else if (current.IsFix)
                failed = current.FixOf is not null ? Find(events, index, current.FixOf)
                    : index > 0 && events[index - 1].IsDeployment ? events[index - 1] : null;
            if (failed is null || !failed.IsDeployment) continue;
            if (!outcomes.TryGetValue(failed, out var restoredBy) || restoredBy is null) outcomes[failed] = current;
        }
        // Restores are found forward in time, so each failure keeps its earliest restore.
        return outcomes;
    }

    private static DeploymentEvent? Find(IReadOnlyList<DeploymentEvent> events, int before, string? reference)
    {
        for (var index = before - 1; index >= 0; index--)
            if (events[index].IsNamedBy(reference)) return events[index];
        return null;
    }

    private static DeploymentFrequencyFigure Frequency(IReadOnlyList<DeploymentEvent> deployments, DoraWindow window)
    {
        var deployDays = deployments.Select(d => window.DayOf(d.Time)).ToHashSet();
        return new DeploymentFrequencyFigure(deployments.Count, (double)deployments.Count / window.Days, deployments.Count * 7.0 / window.Days,
            deployDays.Count, FourKeys(deployDays, window),
            deployments.Count == 0 ? null : PerformanceClusters.DeploymentFrequency((double)deployments.Count / window.Days));
    }

    /// <summary>
    /// Four Keys' dashboard rule, over the window's weeks (7-day blocks counted back from its last day; a shorter oldest
    /// remainder is left out so a partial week does not pull the medians down): Daily when the median week has deploys on
    /// 3 or more days; Weekly when the median week has a deploy; Monthly when the median week lies in a month
    /// (by the week's first day) with a deploy; otherwise Yearly.
    /// </summary>
    public static FourKeysBucket FourKeys(IReadOnlySet<DateOnly> deployDays, DoraWindow window)
    {
        if (deployDays.Count == 0) return FourKeysBucket.None;
        var weeks = Enumerable.Range(0, window.Days / 7)
            .Select(back => window.LastDay.AddDays(-7 * back - 6))
            .Select(first => (First: first, DaysDeployed: Enumerable.Range(0, 7).Count(offset => deployDays.Contains(first.AddDays(offset)))))
            .ToList();
        var monthly = weeks.GroupBy(week => (week.First.Year, week.First.Month))
            .ToDictionary(month => month.Key, month => month.Count(week => week.DaysDeployed > 0));
        if (MedianOf(weeks.Select(week => (double)week.DaysDeployed)) >= 3) return FourKeysBucket.Daily;
        if (MedianOf(weeks.Select(week => week.DaysDeployed > 0 ? 1.0 : 0.0)) >= 1) return FourKeysBucket.Weekly;
        if (MedianOf(weeks.Select(week => (double)monthly[(week.First.Year, week.First.Month)])) >= 1) return FourKeysBucket.Monthly;
        return FourKeysBucket.Yearly;
    }

    private static StageCycleTimeFigure StageCycleTimes(IReadOnlyList<RunRecord> runs, DoraWindow window)
    {
        var inWindow = runs.Where(run => window.Contains(run.Start)).ToList();
        var stages = inWindow
            .SelectMany(run => run.Stages.Where(stage => stage.Result is RunResult.Succeeded or RunResult.Failed)
                .Select(stage => (Stage: stage, Offset: stage.Start - run.Start)))
            .GroupBy(entry => entry.Stage.Name, StringComparer.Ordinal)
            .Select(group => (Order: Statistics.Median(group.Select(entry => entry.Offset))!.Value,
                Figure: new StageCycleTime(group.Key, group.Count(), Statistics.Median(group.Select(entry => entry.Stage.Duration))!.Value,
                    Statistics.Percentile(group.Select(entry => entry.Stage.Duration), 0.9)!.Value,
                    group.Count(entry => entry.Stage.Result == RunResult.Failed))))
            .OrderBy(stage => stage.Order).ThenBy(stage => stage.Figure.Name, StringComparer.Ordinal)
            .Select(stage => stage.Figure)
            .ToList();
        var bottleneck = stages.OrderByDescending(stage => stage.Median).ThenBy(stage => stage.Name, StringComparer.Ordinal).FirstOrDefault();
        return new StageCycleTimeFigure(inWindow.Count, Statistics.Median(inWindow.Select(run => run.Duration)), stages, bottleneck?.Name);
    }

    private static double MedianOf(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return 0;
        var middle = (sorted.Length - 1) / 2.0;
        return (sorted[(int)Math.Floor(middle)] + sorted[(int)Math.Ceiling(middle)]) / 2;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
