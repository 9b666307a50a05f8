using Slipway.Delivery.Metrics;
using Slipway.Delivery.RunRecords;

namespace Slipway.Delivery.Tests.Metrics;

/// <summary>The pure parts: percentiles, cluster placement (DORA 2024), Four Keys' bucket, windows across DST, stage cycle times.</summary>
public sealed class DoraArithmeticTests
{
    private static TimeSpan Hours(double hours) => TimeSpan.FromHours(hours);

    [Fact]
    public void Percentiles_interpolate_between_ranks_like_percentile_cont()
    {
        Assert.Null(Statistics.Median([]));
        Assert.Equal(Hours(5), Statistics.Median([Hours(5)]));
        Assert.Equal(Hours(2.5), Statistics.Median([Hours(10), Hours(1), Hours(3), Hours(2)]));
        Assert.Equal(Hours(7.9), Statistics.Percentile([Hours(1), Hours(2), Hours(3), Hours(10)], 0.9));
        Assert.Equal(Hours(4), Statistics.Mean([Hours(2), Hours(6)]));
    }

    [Theory]
    [InlineData(3.0, PerformanceCluster.Elite)]
    [InlineData(1.0, PerformanceCluster.Elite)]
    [InlineData(0.5, PerformanceCluster.High)]
    [InlineData(1.0 / 7, PerformanceCluster.High)]
    [InlineData(0.1, PerformanceCluster.Medium)]
    [InlineData(1.0 / 30, PerformanceCluster.Medium)]
    [InlineData(0.01, PerformanceCluster.Low)]
    public void Deployment_frequency_clusters(double perDay, PerformanceCluster expected) =>
        Assert.Equal(expected, PerformanceClusters.DeploymentFrequency(perDay));

    [Theory]
    [InlineData(0.5, PerformanceCluster.Elite)]
    [InlineData(23.9, PerformanceCluster.Elite)]
    [InlineData(24, PerformanceCluster.High)]
    [InlineData(167, PerformanceCluster.High)]
    [InlineData(168, PerformanceCluster.Medium)]
    [InlineData(720, PerformanceCluster.Low)]
    public void Lead_time_clusters(double hours, PerformanceCluster expected) => Assert.Equal(expected, PerformanceClusters.LeadTime(Hours(hours)));

    [Theory]
    [InlineData(0.99, PerformanceCluster.Elite)]
    [InlineData(1, PerformanceCluster.High)]
    [InlineData(23, PerformanceCluster.High)]
    [InlineData(48, PerformanceCluster.Medium)]
    [InlineData(168, PerformanceCluster.Low)]
    public void Recovery_time_clusters(double hours, PerformanceCluster expected) => Assert.Equal(expected, PerformanceClusters.RecoveryTime(Hours(hours)));

    [Theory]
    [InlineData(0.0, PerformanceCluster.Elite)]
    [InlineData(0.075, PerformanceCluster.Elite)]   // tie between elite 5 % and medium 10 %: the better cluster
    [InlineData(0.08, PerformanceCluster.Medium)]
    [InlineData(0.149, PerformanceCluster.Medium)]
    [InlineData(0.15, PerformanceCluster.High)]      // tie between medium 10 % and high 20 %: the better cluster
    [InlineData(0.16, PerformanceCluster.High)]
    [InlineData(0.30, PerformanceCluster.High)]
    [InlineData(0.31, PerformanceCluster.Low)]
    [InlineData(1.0, PerformanceCluster.Low)]
    public void Change_failure_rate_goes_to_the_nearest_cluster_rate(double rate, PerformanceCluster expected) =>
        Assert.Equal(expected, PerformanceClusters.ChangeFailureRate(rate));

    [Fact]
    public void Four_keys_bucket_follows_the_dashboard_rule()
    {
        var window = DoraWindow.LastDays(30, DateTimeOffset.Parse("2026-11-28T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        // Four 7-day weeks end on 2026-11-28: Nov 22–28, 15–21, 8–14, 1–7 (the 2 oldest days are left out).
        HashSet<DateOnly> Days(params int[] days) => days.Select(day => new DateOnly(2026, 11, day)).ToHashSet();

        Assert.Equal(FourKeysBucket.None, DoraCalculator.FourKeys(Days(), window));
        Assert.Equal(FourKeysBucket.Daily, DoraCalculator.FourKeys(Days(2, 3, 4, 9, 10, 11, 16, 17, 18, 23, 24, 25), window));
        Assert.Equal(FourKeysBucket.Weekly, DoraCalculator.FourKeys(Days(2, 3, 4, 9, 10, 11, 16, 23), window));   // median 2 days a week
        Assert.Equal(FourKeysBucket.Monthly, DoraCalculator.FourKeys(Days(9, 16), window));   // weeks 0,1,1,0: median 0.5, not weekly

        var quarter = DoraWindow.LastDays(90, DateTimeOffset.Parse("2026-11-28T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        // Twelve weeks, four each starting in September, October and November.
        Assert.Equal(FourKeysBucket.Yearly, DoraCalculator.FourKeys(Days(16), quarter));
        Assert.Equal(FourKeysBucket.Monthly, DoraCalculator.FourKeys(new HashSet<DateOnly> { new(2026, 11, 16), new(2026, 10, 12) }, quarter));
    }

    [Fact]
    public void A_window_in_a_zone_with_a_dst_change_still_has_whole_days()
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var window = DoraWindow.LastDays(7, DateTimeOffset.Parse("2026-04-01T12:00:00+02:00", System.Globalization.CultureInfo.InvariantCulture), berlin);

        Assert.Equal(new DateOnly(2026, 3, 26), window.FirstDay);
        Assert.Equal(DateTimeOffset.Parse("2026-03-25T23:00:00Z", System.Globalization.CultureInfo.InvariantCulture), window.Start);   // CET
        Assert.Equal(DateTimeOffset.Parse("2026-04-01T22:00:00Z", System.Globalization.CultureInfo.InvariantCulture), window.End);     // CEST
        Assert.Equal(TimeSpan.FromHours(7 * 24 - 1), window.End - window.Start);
        Assert.Equal(new DateOnly(2026, 3, 29), window.DayOf(DateTimeOffset.Parse("2026-03-28T23:30:00Z", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Throws<ArgumentOutOfRangeException>(() => DoraWindow.LastDays(14, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void Stage_cycle_times_name_the_bottleneck()
    {
        var start = DateTimeOffset.Parse("2026-11-27T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        RunRecord Run(string id, int compile, int test, int push, RunResult testResult = RunResult.Succeeded) =>
            new(id, "local", start, TimeSpan.FromSeconds(compile + test + push), RunResult.Succeeded, "production", null, null,
            [
                new StageRecord("Compile", start, TimeSpan.FromSeconds(compile), RunResult.Succeeded),
                new StageRecord("Test", start.AddSeconds(compile), TimeSpan.FromSeconds(test), testResult),
                new StageRecord("Push", start.AddSeconds(compile + test), TimeSpan.FromSeconds(push), RunResult.Succeeded),
                new StageRecord("Lint", start, TimeSpan.FromSeconds(999), RunResult.Skipped),
            ]);
        var history = new DeploymentHistory("production", []);
        var window = DoraWindow.LastDays(7, start.AddDays(1));

        var report = DoraCalculator.Compute(history, [Run("a", 30, 100, 10), Run("b", 40, 80, 20, RunResult.Failed), Run("c", 50, 90, 30)], window);

        var stages = report.StageCycleTimes;
        Assert.Equal(3, stages.Runs);
        Assert.Equal(["Compile", "Test", "Push"], stages.Stages.Select(stage => stage.Name));   // in pipeline order; skipped stages left out
        Assert.Equal(TimeSpan.FromSeconds(90), stages.Stages[1].Median);
        Assert.Equal(1, stages.Stages[1].Failed);
        Assert.Equal("Test", stages.Bottleneck);
        Assert.Equal(TimeSpan.FromSeconds(140), stages.MedianRunDuration);
    }
}
