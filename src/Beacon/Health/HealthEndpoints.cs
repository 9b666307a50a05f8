namespace Beacon.Health;

public static class HealthEndpoints
{
    /// <summary>/healthz (liveness), /readyz (readiness) and the readiness switch.</summary>
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", () => Results.Json(new HealthStatus("ok"), BeaconJsonContext.Default.HealthStatus));

        endpoints.MapGet("/readyz", (Readiness readiness) => ReadinessResult(readiness, StatusCodes.Status503ServiceUnavailable));

        endpoints.MapPost("/readyz/disable", (Readiness readiness) =>
        {
            readiness.Disable();
            return ReadinessResult(readiness, StatusCodes.Status202Accepted, StatusCodes.Status202Accepted);
        });

        endpoints.MapPost("/readyz/enable", (Readiness readiness) =>
        {
            readiness.Enable();
            return ReadinessResult(readiness, StatusCodes.Status202Accepted, StatusCodes.Status202Accepted);
        });

        return endpoints;
    }

    static IResult ReadinessResult(Readiness readiness, int unreadyStatus, int readyStatus = StatusCodes.Status200OK) =>
        Results.Json(
            new ReadinessStatus(readiness.IsReady ? "ready" : "unready", readiness.Reason),
            BeaconJsonContext.Default.ReadinessStatus,
            statusCode: readiness.IsReady ? readyStatus : unreadyStatus);
}

public sealed record HealthStatus(string Status);

public sealed record ReadinessStatus(string Status, string? Reason);
