namespace Slipway.Delivery.Metrics;

/// <summary>A software delivery performance cluster of the State of DevOps research.</summary>
public enum PerformanceCluster
{
    Elite,
    High,
    Medium,
    Low,
}

/// <summary>
/// Places a figure in the software delivery performance clusters of DORA's
/// <b>Accelerate State of DevOps Report 2024</b> (Google Cloud / DORA, October 2024, "Software delivery performance" table).
/// It is the latest report that publishes the elite/high/medium/low table for the four keys: the 2025 report
/// ("State of AI-assisted Software Development") replaced it with team archetypes, and the 2023 table is older.
/// <code>
///                          Elite                 High                      Medium                     Low
/// Deployment frequency     On demand (multiple   Between once per day      Between once per week      Between once per month
///                          deploys per day)      and once per week         and once per month         and once every six months
/// Change lead time         Less than one day     Between one day           Between one week           Between one month
///                                                and one week              and one month              and six months
/// Change fail rate         5%                    20%                       10%                        40%
/// Failed deployment        Less than one hour    Less than one day         Less than one day          Between one week
/// recovery time                                                                                       and one month
/// </code>
/// The report's clusters are groups found in survey answers, not thresholds; turning them into cut-offs:
/// <list type="bullet">
/// <item>frequency: at least one deploy a day is elite (on demand); at least one a week high; at least one a month medium; less is low;</item>
/// <item>lead time: under a day elite; under a week high; under a month medium; longer low;</item>
/// <item>recovery: under an hour elite; under a day high (the report gives "less than one day" to both high and medium;
/// the better one is named); under a week medium (the report leaves one day to one week unassigned: it falls
/// between medium and low, and medium is the nearer); longer low;</item>
/// <item>change failure rate: the report states one typical rate per cluster and they are not ordered (medium 10% is
/// below high 20%), so a rate is placed in the cluster whose stated rate is nearest (ties go to the better cluster):
/// up to 7.5% elite, above that and below 15% medium, 15% to 30% high, above 30% low.</item>
/// </list>
/// </summary>
public static class PerformanceClusters
{
    public const string Source = "DORA, Accelerate State of DevOps Report 2024 (software delivery performance clusters)";

    public static PerformanceCluster DeploymentFrequency(double deploymentsPerDay) => deploymentsPerDay switch
    {
        >= 1.0 => PerformanceCluster.Elite,
        >= 1.0 / 7 => PerformanceCluster.High,
        >= 1.0 / 30 => PerformanceCluster.Medium,
        _ => PerformanceCluster.Low,
    };

    public static PerformanceCluster LeadTime(TimeSpan leadTime) =>
        leadTime < TimeSpan.FromDays(1) ? PerformanceCluster.Elite
        : leadTime < TimeSpan.FromDays(7) ? PerformanceCluster.High
        : leadTime < TimeSpan.FromDays(30) ? PerformanceCluster.Medium
        : PerformanceCluster.Low;

    public static PerformanceCluster RecoveryTime(TimeSpan recovery) =>
        recovery < TimeSpan.FromHours(1) ? PerformanceCluster.Elite
        : recovery < TimeSpan.FromDays(1) ? PerformanceCluster.High
        : recovery < TimeSpan.FromDays(7) ? PerformanceCluster.Medium
        : PerformanceCluster.Low;

    /// <summary>The change fail rates the 2024 report states for each cluster.</summary>
    public static IReadOnlyList<(PerformanceCluster Cluster, double Rate)> ChangeFailureRates { get; } =
        [(PerformanceCluster.Elite, 0.05), (PerformanceCluster.Medium, 0.10), (PerformanceCluster.High, 0.20), (PerformanceCluster.Low, 0.40)];

    public static PerformanceCluster ChangeFailureRate(double rate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rate);
        return ChangeFailureRates
            .OrderBy(cluster => Math.Round(Math.Abs(cluster.Rate - rate), 9))
            .ThenBy(cluster => cluster.Cluster)
            .First().Cluster;
    }

    /// <summary>The report's wording for each cluster, shown beside the figure.</summary>
    public static string Describe(string metric, PerformanceCluster cluster) => (metric, cluster) switch
    {
        ("deployment-frequency", PerformanceCluster.Elite) => "on demand (multiple deploys per day)",
        ("deployment-frequency", PerformanceCluster.High) => "between once per day and once per week",
        ("deployment-frequency", PerformanceCluster.Medium) => "between once per week and once per month",
        ("deployment-frequency", PerformanceCluster.Low) => "between once per month and once every six months",
        ("lead-time", PerformanceCluster.Elite) => "less than one day",
        ("lead-time", PerformanceCluster.High) => "between one day and one week",
        ("lead-time", PerformanceCluster.Medium) => "between one week and one month",
        ("lead-time", PerformanceCluster.Low) => "between one month and six months",
        ("change-failure-rate", _) => $"typical rate {ChangeFailureRates.Single(entry => entry.Cluster == cluster).Rate:P0}",
        ("recovery-time", PerformanceCluster.Elite) => "less than one hour",
        ("recovery-time", PerformanceCluster.High or PerformanceCluster.Medium) => "less than one day",
        ("recovery-time", PerformanceCluster.Low) => "between one week and one month",
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "unknown metric"),
    };
}
