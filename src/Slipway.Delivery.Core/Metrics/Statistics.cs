namespace Slipway.Delivery.Metrics;

/// <summary>Order statistics over durations.</summary>
public static class Statistics
{
    /// <summary>
    /// The <paramref name="fraction"/> percentile by linear interpolation between the closest ranks (SQL's PERCENTILE_CONT,
    /// the one Four Keys uses): the median of 1, 2, 3, 10 is 2.5. Null for no values.
    /// </summary>
    public static TimeSpan? Percentile(IEnumerable<TimeSpan> values, double fraction)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fraction, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fraction, 1);
        var sorted = values.Select(value => value.Ticks).Order().ToArray();
        if (sorted.Length == 0) return null;
        var position = fraction * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = (int)Math.Ceiling(position);
        var ticks = sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
        return TimeSpan.FromTicks((long)Math.Round(ticks));
    }

    public static TimeSpan? Median(IEnumerable<TimeSpan> values) => Percentile(values, 0.5);

    public static TimeSpan? Mean(IEnumerable<TimeSpan> values)
    {
        var ticks = values.Select(value => value.Ticks).ToArray();
        return ticks.Length == 0 ? null : TimeSpan.FromTicks((long)Math.Round(ticks.Average(tick => (double)tick)));
    }
}
