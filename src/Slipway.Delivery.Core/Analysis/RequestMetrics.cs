using System.Globalization;

namespace Slipway.Delivery.Analysis;

/// <summary>
/// The request figures of one or more service instances at one moment, read from prometheus-net's HTTP histogram
/// (<c>http_request_duration_seconds</c> with labels <c>code</c>, <c>endpoint</c>, <c>le</c>): requests, 5xx answers,
/// and the cumulative latency buckets, all summed over instances. Probe and scrape endpoints are left out, so they
/// never dilute the error rate or the latency of real requests.
/// </summary>
public sealed record RequestMetrics(double Requests, double ServerErrors, IReadOnlyList<HistogramBucket> Buckets)
{
    public const string DurationHistogram = "http_request_duration_seconds";

    public static readonly RequestMetrics Empty = new(0, 0, []);

    /// <summary>Reads one instance's exposition; <paramref name="excludedEndpoints"/> are route patterns not counted (e.g. /readyz, /metrics).</summary>
    public static RequestMetrics From(IReadOnlyList<MetricSample> samples, IReadOnlyCollection<string> excludedEndpoints)
    {
        bool Counted(MetricSample sample) => !excludedEndpoints.Contains(sample.Label("endpoint"));
        double requests = 0, errors = 0;
        foreach (var sample in samples.Where(s => s.Name == DurationHistogram + "_count" && Counted(s)))
        {
            requests += sample.Value;
            if (sample.Label("code").StartsWith('5')) errors += sample.Value;
        }
        var buckets = samples
            .Where(s => s.Name == DurationHistogram + "_bucket" && Counted(s))
            .GroupBy(s => ParseBound(s.Label("le")))
            .Select(group => new HistogramBucket(group.Key, group.Sum(s => s.Value)))
            .OrderBy(b => b.UpperBound)
            .ToList();
        return new RequestMetrics(requests, errors, buckets);
    }

    /// <summary>Sums instances (the replicas of one version).</summary>
    public static RequestMetrics Sum(IEnumerable<RequestMetrics> instances)
    {
        double requests = 0, errors = 0;
        var buckets = new SortedDictionary<double, double>();
        foreach (var instance in instances)
        {
            requests += instance.Requests;
            errors += instance.ServerErrors;
            foreach (var bucket in instance.Buckets)
                buckets[bucket.UpperBound] = buckets.GetValueOrDefault(bucket.UpperBound) + bucket.Count;
        }
        return new RequestMetrics(requests, errors, buckets.Select(p => new HistogramBucket(p.Key, p.Value)).ToList());
    }

    /// <summary>
    /// What happened between <paramref name="start"/> and this reading (counters are cumulative). A counter that went
    /// down means the instance restarted: its count since the restart is taken, as Prometheus' increase() does.
    /// </summary>
    public RequestMetrics Since(RequestMetrics start)
    {
        static double Delta(double end, double begin) => end >= begin ? end - begin : end;
        var before = start.Buckets.ToDictionary(b => b.UpperBound, b => b.Count);
        return new RequestMetrics(
            Delta(Requests, start.Requests),
            Delta(ServerErrors, start.ServerErrors),
            Buckets.Select(b => new HistogramBucket(b.UpperBound, Delta(b.Count, before.GetValueOrDefault(b.UpperBound)))).ToList());
    }

    /// <summary>Share of 5xx answers (0 when there was no request).</summary>
    public double ErrorRate => Requests > 0 ? ServerErrors / Requests : 0;

    /// <summary>The <paramref name="quantile"/> latency in milliseconds; null without requests.</summary>
    public double? QuantileMs(double quantile) => HistogramQuantile.Compute(quantile, Buckets) is { } seconds ? seconds * 1000 : null;

    static double ParseBound(string text) => text switch
    {
        "+Inf" or "Inf" => double.PositiveInfinity,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"{DurationHistogram}_bucket has le=\"{text}\", which is not a number"),
    };
}

/// <summary>A cumulative histogram bucket: <see cref="Count"/> observations at or below <see cref="UpperBound"/>.</summary>
public sealed record HistogramBucket(double UpperBound, double Count);
