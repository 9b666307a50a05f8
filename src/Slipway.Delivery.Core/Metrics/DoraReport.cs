namespace Slipway.Delivery.Metrics;

/// <summary>
/// The DORA figures of one environment over one window, as written to dora.json (schema <see cref="SchemaId"/>;
/// durations are seconds, instants UTC ISO 8601, days yyyy-MM-dd in the window's zone). Null means "no data".
/// <see cref="DeploymentsFrom"/> says where the deployment events were read (the config repo's history, or GitHub Deployments).
/// </summary>
public sealed record DoraReport(
    string Environment,
    DoraWindowInfo Window,
    DateTimeOffset GeneratedAt,
    DeploymentFrequencyFigure DeploymentFrequency,
    LeadTimeFigure LeadTime,
    ChangeFailureRateFigure ChangeFailureRate,
    RecoveryTimeFigure RecoveryTime,
    MeanTimeToFailureFigure MeanTimeToFailure,
    ReworkRateFigure ReworkRate,
    StageCycleTimeFigure StageCycleTimes,
    IReadOnlyList<DayCount> DeploysPerDay,
    IReadOnlyList<DeploymentRow> Deployments,
    IReadOnlyList<LeadTimeRow> LeadTimes,
    IReadOnlyList<FailureRow> Failures,
    DoraSource DeploymentsFrom = DoraSource.Git)
{
    public const string SchemaId = "slipway.dora/v1";

    public string Schema => SchemaId;

    public string ClustersSource => PerformanceClusters.Source;

    /// <summary>How a deployment counts as failed, in the words of the report's source (a method: not part of dora.json).</summary>
    public string FailedHow() => DeploymentsFrom == DoraSource.GitHub ? "failed, rolled back or fixed" : "rolled back or fixed";
}

public sealed record DoraWindowInfo(int Days, DateOnly FirstDay, DateOnly LastDay, DateTimeOffset Start, DateTimeOffset End, string TimeZone);

/// <summary>Four Keys' deployment frequency buckets (its dashboard's rule), plus None for a window without deploys.</summary>
public enum FourKeysBucket
{
    None,
    Yearly,
    Monthly,
    Weekly,
    Daily,
}

public sealed record DeploymentFrequencyFigure(int Deployments, double PerDay, double PerWeek, int DaysWithDeploys, FourKeysBucket FourKeysBucket,
    PerformanceCluster? Cluster);

public sealed record LeadTimeFigure(int Changes, TimeSpan? Median, TimeSpan? P90, PerformanceCluster? Cluster);

public sealed record ChangeFailureRateFigure(int Deployments, int Failed, double? Rate, PerformanceCluster? Cluster);

public sealed record RecoveryTimeFigure(int Restored, int Unresolved, TimeSpan? Median, PerformanceCluster? Cluster);

/// <summary>Time in service over the window divided by the failed deploys in it.</summary>
public sealed record MeanTimeToFailureFigure(int Failures, TimeSpan ObservedTime, TimeSpan? Mean);

/// <summary>DORA 2024's fifth metric: the share of deployments that were unplanned fixes.</summary>
public sealed record ReworkRateFigure(int Deployments, int Fixes, double? Rate);

public sealed record StageCycleTimeFigure(int Runs, TimeSpan? MedianRunDuration, IReadOnlyList<StageCycleTime> Stages, string? Bottleneck);

public sealed record StageCycleTime(string Name, int Runs, TimeSpan Median, TimeSpan P90, int Failed);

public sealed record DayCount(DateOnly Day, int Deployments, int Failed, int Rollbacks);

public sealed record DeploymentRow(string Sha, DateTimeOffset Time, DeploymentKind Kind, bool IsFix, string Image, string SourceCommit,
    int Changes, bool Failed, string? RestoredBy, DateTimeOffset? RestoredAt, string Run);

public sealed record LeadTimeRow(string SourceCommit, DateTimeOffset CommittedAt, string Deployment, DateTimeOffset DeployedAt, TimeSpan LeadTime);

/// <summary>A failed deployment and what restored service (a rollback or a fix); RestoredBy null while still failing.</summary>
public sealed record FailureRow(string Deployment, DateTimeOffset FailedAt, string? RestoredBy, DeploymentKind? RestoredByKind, bool RestoredByFix,
    DateTimeOffset? RestoredAt, TimeSpan? RecoveryTime);
