using Slipway.Delivery.AgentApi;
using Slipway.Delivery.Analysis;
using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.Tests.Analysis;

public sealed class PrometheusTextTests
{
    [Fact]
    public void Reads_names_labels_escapes_and_special_values_and_skips_comments()
    {
        var samples = PrometheusText.Parse("""
            # HELP http_request_duration_seconds The duration of HTTP requests.
            # TYPE http_request_duration_seconds histogram
            http_request_duration_seconds_bucket{code="200",endpoint="/api/greeting",le="0.001"} 3
            http_request_duration_seconds_bucket{code="200",endpoint="/api/greeting",le="+Inf"} 7 1700000000000
            weird{path="a\"b\\c\nd"} NaN
            process_open_handles 42

            """);
        Assert.Equal(4, samples.Count);
        Assert.Equal(0.001.ToString(System.Globalization.CultureInfo.InvariantCulture), samples[0].Label("le"));
        Assert.Equal(7, samples[1].Value);
        Assert.Equal("a\"b\\c\nd", samples[2].Label("path"));
        Assert.True(double.IsNaN(samples[2].Value));
        Assert.Equal(("process_open_handles", 42d), (samples[3].Name, samples[3].Value));
    }

    [Fact]
    public void A_malformed_line_names_its_number()
    {
        var error = Assert.Throws<FormatException>(() => PrometheusText.Parse("ok 1\nbroken{code=\"200\" 5\n"));
        Assert.Contains("line 2", error.Message);
    }
}

public sealed class HistogramQuantileTests
{
    static HistogramBucket[] Buckets(params (double Le, double Count)[] buckets) => buckets.Select(b => new HistogramBucket(b.Le, b.Count)).ToArray();

    [Fact]
    public void Interpolates_linearly_inside_the_bucket_holding_the_rank()
    {
        // 100 observations: 50 up to 0.1, 40 more up to 0.2, 10 more up to 0.4. Rank 95 lies half-way in (0.2, 0.4].
        var buckets = Buckets((0.1, 50), (0.2, 90), (0.4, 100), (double.PositiveInfinity, 100));
        Assert.Equal(0.3, HistogramQuantile.Compute(0.95, buckets)!.Value, 9);
        Assert.Equal(0.1, HistogramQuantile.Compute(0.5, buckets)!.Value, 9);
        Assert.Equal(0.05, HistogramQuantile.Compute(0.25, buckets)!.Value, 9);
    }

    [Fact]
    public void A_rank_in_the_infinite_bucket_answers_the_highest_finite_bound()
    {
        Assert.Equal(0.4, HistogramQuantile.Compute(0.95, Buckets((0.2, 1), (0.4, 2), (double.PositiveInfinity, 10))));
    }

    [Fact]
    public void No_observation_or_no_infinite_bucket_has_no_quantile()
    {
        Assert.Null(HistogramQuantile.Compute(0.95, Buckets((0.1, 0), (double.PositiveInfinity, 0))));
        Assert.Null(HistogramQuantile.Compute(0.95, Buckets((0.1, 3), (0.2, 5))));
    }
}

public sealed class RequestMetricsTests
{
    const string Before = """
        http_request_duration_seconds_count{code="200",method="GET",endpoint="/api/greeting"} 10
        http_request_duration_seconds_count{code="500",method="GET",endpoint="/api/greeting"} 0
        http_request_duration_seconds_count{code="200",method="GET",endpoint="/readyz"} 500
        http_request_duration_seconds_bucket{code="200",method="GET",endpoint="/api/greeting",le="0.004"} 10
        http_request_duration_seconds_bucket{code="200",method="GET",endpoint="/api/greeting",le="0.008"} 10
        http_request_duration_seconds_bucket{code="200",method="GET",endpoint="/api/greeting",le="+Inf"} 10
        http_request_duration_seconds_bucket{code="200",method="GET",endpoint="/readyz",le="0.004"} 500
        http_request_duration_seconds_bucket{code="200",method="GET",endpoint="/readyz",le="0.008"} 500
        http_request_duration_seconds_bucket{code="200",method="GET",endpoint="/readyz",le="+Inf"} 500
        """;

    const string After = """
        http_request_duration_seconds_count{code="200",method="GET",endpoint="/api/greeting"} 70
        http_request_duration_seconds_count{code="500",method="GET",endpoint="/api/greeting"} 40
        http_request_duration_seconds_count{code="200",method="GET",endpoint="/readyz"} 900
        http_request_duration_seconds_bucket{code="200",method="GET",endpoint="/api/greeting",le="0.004"} 70
        http_request_duration_seconds_bucket{code="200",method="GET",endpoint="/api/greeting",le="0.008"} 70
        http_request_duration_seconds_bucket{code="200",method="GET",endpoint="/api/greeting",le="+Inf"} 70
        http_request_duration_seconds_bucket{code="500",method="GET",endpoint="/api/greeting",le="0.004"} 0
        http_request_duration_seconds_bucket{code="500",method="GET",endpoint="/api/greeting",le="0.008"} 40
        http_request_duration_seconds_bucket{code="500",method="GET",endpoint="/api/greeting",le="+Inf"} 40
        http_request_duration_seconds_bucket{code="200",method="GET",endpoint="/readyz",le="0.004"} 900
        http_request_duration_seconds_bucket{code="200",method="GET",endpoint="/readyz",le="0.008"} 900
        http_request_duration_seconds_bucket{code="200",method="GET",endpoint="/readyz",le="+Inf"} 900
        """;

    static readonly string[] Probes = ["/readyz", "/healthz", "/metrics"];

    [Fact]
    public void The_window_delta_counts_requests_and_5xx_without_probes()
    {
        var window = RequestMetrics.From(PrometheusText.Parse(After), Probes).Since(RequestMetrics.From(PrometheusText.Parse(Before), Probes));
        Assert.Equal(100, window.Requests);
        Assert.Equal(40, window.ServerErrors);
        Assert.Equal(0.4, window.ErrorRate, 9);
        // 60 fast (<= 4 ms) and 40 in (4, 8] ms: rank 95 is 35/40 into that bucket.
        Assert.Equal(4 + 4 * 35.0 / 40, window.QuantileMs(0.95)!.Value, 6);
    }

    [Fact]
    public void A_restarted_instance_counts_from_zero()
    {
        var window = RequestMetrics.From(PrometheusText.Parse(Before), Probes).Since(RequestMetrics.From(PrometheusText.Parse(After), Probes));
        Assert.Equal(10, window.Requests);
    }

    [Fact]
    public void Replicas_sum()
    {
        var one = RequestMetrics.From(PrometheusText.Parse(After), Probes);
        var both = RequestMetrics.Sum([one, one]);
        Assert.Equal(220, both.Requests);
        Assert.Equal(one.QuantileMs(0.95), both.QuantileMs(0.95));
    }
}

public sealed class CanaryJudgeTests
{
    static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch;
    static readonly AnalysisSpec Spec = new() { MaxErrorRate = 0.05, MaxP95Ms = 500, MaxP95Ratio = 2, MinRequests = 20 };

    /// <summary>n requests, e of them 5xx, all with the same latency in ms (buckets 1, 2, 4, ... 1024 ms).</summary>
    static RequestMetrics Window(int n, int e, double latencyMs)
    {
        var bounds = Enumerable.Range(0, 11).Select(i => Math.Pow(2, i) / 1000).Append(double.PositiveInfinity);
        return new RequestMetrics(n, e, bounds.Select(b => new HistogramBucket(b, latencyMs / 1000 <= b ? n : 0)).ToList());
    }

    [Fact]
    public void Too_few_requests_is_inconclusive()
    {
        var result = CanaryJudge.Judge(Spec, Window(5, 5, 3), Window(100, 0, 3), 1, 10, At);
        Assert.Equal(AnalysisVerdict.Inconclusive, result.Verdict);
    }

    [Fact]
    public void A_high_error_rate_fails()
    {
        var result = CanaryJudge.Judge(Spec, Window(100, 30, 3), Window(100, 0, 3), 1, 10, At);
        Assert.Equal(AnalysisVerdict.Failed, result.Verdict);
        Assert.Contains("error rate", result.Reason);
        Assert.Equal(0.3, result.CanaryErrorRate, 9);
    }

    [Fact]
    public void A_p95_above_the_maximum_fails()
    {
        var result = CanaryJudge.Judge(Spec, Window(100, 0, 700), Window(100, 0, 600), 2, 25, At);
        Assert.Equal(AnalysisVerdict.Failed, result.Verdict);
        Assert.Contains("above the maximum", result.Reason);
    }

    [Fact]
    public void A_p95_far_above_the_stable_one_fails_even_under_the_maximum()
    {
        var result = CanaryJudge.Judge(Spec, Window(100, 0, 300), Window(100, 0, 3), 2, 25, At);
        Assert.Equal(AnalysisVerdict.Failed, result.Verdict);
        Assert.Contains("stable", result.Reason);
    }

    [Fact]
    public void A_healthy_canary_passes_and_a_fast_stable_counts_as_the_floor()
    {
        var result = CanaryJudge.Judge(Spec, Window(100, 1, 7), Window(100, 0, 0.5), 3, 50, At);
        Assert.Equal(AnalysisVerdict.Passed, result.Verdict);
        Assert.Equal(100, result.CanaryRequests);
    }
}
