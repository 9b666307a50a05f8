namespace Beacon.Health;

public static class HealthEndpoints
{
    /// <summary>/healthz (liveness), /readyz (readiness) and the readiness switch.</summary>
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", () => Results.Json(new HealthStatus("ok"), BeaconJsonContext.Default.HealthStatus));

        endpoints.MapGet("/readyz", (Readiness readiness) => ReadinessResult(readiness, StatusCodes.Status503ServiceUnavailable));

        // Operator endpoints: only with the operator token (see OperatorToken); 401 otherwise, and nothing changes.
        var operatorRoutes = endpoints.MapGroup("/readyz").AddEndpointFilter(async (context, next) =>
        {
            var token = context.HttpContext.RequestServices.GetRequiredService<OperatorToken>();
            if (token.Admits(context.HttpContext.Request.Headers.Authorization.ToString())) return await next(context);
            return Results.Json(new Faults.ErrorAnswer(token.Configured
                    ? "This operator endpoint needs 'Authorization: Bearer <operator token>'."
                    : $"Operator endpoints are off: no operator token is configured ({OperatorToken.FileKey})."),
                BeaconJsonContext.Default.ErrorAnswer, statusCode: StatusCodes.Status401Unauthorized);
        });

        operatorRoutes.MapPost("/disable", (Readiness readiness) =>
        {
            readiness.Disable();
            return ReadinessResult(readiness, StatusCodes.Status202Accepted, StatusCodes.Status202Accepted);
        });

        operatorRoutes.MapPost("/enable", (Readiness readiness) =>
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
