namespace Beacon.Faults;

/// <summary>
/// Applies the configured latency and error rate to every request except the probes and scrapes
/// (/healthz, /readyz, /metrics, /version), so they stay truthful while a canary misbehaves.
/// Sits inside the metrics middleware, so injected errors are counted with their real status code.
/// </summary>
public sealed class FaultInjectionMiddleware(
    RequestDelegate next, FaultSettings settings, FaultRandom random, TimeProvider time, ILogger<FaultInjectionMiddleware> logger)
{
    /// <summary>Paths (and everything below them) that faults never touch.</summary>
    public static readonly IReadOnlyList<PathString> ExemptPaths = ["/healthz", "/readyz", "/metrics", "/version"];

    public async Task InvokeAsync(HttpContext context)
    {
        var faults = settings.Current;
        if (!faults.Active || IsExempt(context.Request.Path))
        {
            await next(context);
            return;
        }

        if (faults.LatencyMs > 0)
            await Task.Delay(TimeSpan.FromMilliseconds(faults.LatencyMs), time, context.RequestAborted);

        if (faults.ErrorRate > 0 && random.NextDouble() < faults.ErrorRate)
        {
            logger.LogDebug("Injected a 500 into {Path} (error rate {ErrorRate})", context.Request.Path, faults.ErrorRate);
            context.Response.Headers["X-Beacon-Fault"] = "error-rate";
            await Results.Json(
                    new FaultAnswer(StatusCodes.Status500InternalServerError, "error-rate"),
                    BeaconJsonContext.Default.FaultAnswer,
                    statusCode: StatusCodes.Status500InternalServerError)
                .ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    public static bool IsExempt(PathString path) => ExemptPaths.Any(exempt => path.StartsWithSegments(exempt));
}
