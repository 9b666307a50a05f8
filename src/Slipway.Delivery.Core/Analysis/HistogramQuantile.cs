namespace Slipway.Delivery.Analysis;

/// <summary>
/// Prometheus' histogram_quantile over cumulative buckets: find the bucket holding the rank and interpolate
/// linearly inside it (the first bucket starts at 0); a rank in the +Inf bucket answers the highest finite bound.
/// </summary>
public static class HistogramQuantile
{
    /// <returns>The quantile in the buckets' unit; null when there is no observation or no +Inf bucket.</returns>
    public static double? Compute(double quantile, IReadOnlyList<HistogramBucket> buckets)
    {
        if (quantile is < 0 or > 1 || double.IsNaN(quantile)) throw new ArgumentOutOfRangeException(nameof(quantile), quantile, "A quantile is between 0 and 1.");
        var sorted = buckets.OrderBy(b => b.UpperBound).ToList();
        if (sorted.Count < 2 || !double.IsPositiveInfinity(sorted[^1].UpperBound)) return null;
        // Cumulative counts must not decrease; a scrape race can break that, so enforce it as Prometheus does.
        for (var i = 1; i < sorted.Count; i++)
            if (sorted[i].Count < sorted[i - 1].Count) sorted[i] = sorted[i] with { Count = sorted[i - 1].Count };
        var total = sorted[^1].Count;
        if (total <= 0) return null;
        var rank = quantile * total;
        var index = sorted.FindIndex(b => b.Count >= rank);
        if (index == sorted.Count - 1) return sorted[^2].UpperBound;
        var end = sorted[index].UpperBound;
        var start = index == 0 ? 0 : sorted[index - 1].UpperBound;
        var below = index == 0 ? 0 : sorted[index - 1].Count;
        if (index == 0 && end <= 0) return end;
        var inBucket = sorted[index].Count - below;
        return inBucket <= 0 ? end : start + (end - start) * ((rank - below) / inBucket);
    }
}
