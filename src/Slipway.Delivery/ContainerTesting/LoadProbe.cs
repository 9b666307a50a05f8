using System.Diagnostics;

namespace Slipway.Delivery.ContainerTesting;

/// <summary>A short bounded load: N requests by C concurrent callers; latency percentiles (nearest rank) and errors.</summary>
internal static class LoadProbe
{
    public static async Task<(LoadFigures Figures, ContainerCheck Check)> RunAsync(HttpClient http, ContainerTestOptions options, CancellationToken cancellationToken)
    {
        var latencies = new double[options.LoadRequests];
        var completed = new bool[options.LoadRequests];
        var errors = 0;
        string? firstError = null;
        var next = -1;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.LoadTimeout);

        var total = Stopwatch.StartNew();
        var callers = Enumerable.Range(0, options.LoadConcurrency).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < options.LoadRequests && !timeout.IsCancellationRequested)
            {
                var watch = Stopwatch.StartNew();
                try
                {
                    using var response = await http.GetAsync(options.GreetingPath, HttpCompletionOption.ResponseContentRead, timeout.Token);
                    if (!response.IsSuccessStatusCode) Fail($"{(int)response.StatusCode} {response.ReasonPhrase}");
                }
                catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException)
                {
                    if (!timeout.IsCancellationRequested) Fail(exception.Message);
                }
                latencies[index] = watch.Elapsed.TotalMilliseconds;
                completed[index] = true;
            }
        }, CancellationToken.None)).ToArray();
        await Task.WhenAll(callers);
        total.Stop();
        cancellationToken.ThrowIfCancellationRequested();

        var notDone = completed.Count(done => !done);
        if (notDone > 0) firstError ??= $"{notDone} requests not done within {options.LoadTimeout.TotalSeconds:0}s";
        var sorted = latencies.Where((_, i) => completed[i]).Order().ToArray();
        var figures = new LoadFigures(options.LoadRequests, options.LoadConcurrency, errors + notDone,
            Percentile(sorted, 50), Percentile(sorted, 95), Percentile(sorted, 99), sorted.Length == 0 ? 0 : sorted[^1],
            sorted.Length / Math.Max(total.Elapsed.TotalSeconds, 0.001));

        var budget = options.P95Budget.TotalMilliseconds;
        var passed = figures.Errors == 0 && figures.P95Ms <= budget;
        var detail = $"p50 {figures.P50Ms:0.0} ms, p95 {figures.P95Ms:0.0} ms (budget {budget:0} ms), p99 {figures.P99Ms:0.0} ms, {figures.Errors} errors";
        if (firstError is not null) detail += $"; first error: {firstError}";
        return (figures, new ContainerCheck(CheckCategory.Performance, $"{options.LoadRequests} x {options.GreetingPath} at {options.LoadConcurrency} concurrent", passed, detail));

        void Fail(string message)
        {
            Interlocked.Increment(ref errors);
            Interlocked.CompareExchange(ref firstError, message, null);
        }
    }

    internal static double Percentile(double[] sorted, int percent)
    {
        if (sorted.Length == 0) return 0;
        var rank = (int)Math.Ceiling(percent / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
