namespace Beacon.Faults;

public static class FaultEndpoints
{
    /// <summary>/fault/status/{code} answers that status; /fault/delay/{ms} waits, then answers 200. Both are 404 unless Faults:Enabled.</summary>
    public static IEndpointRouteBuilder MapFaults(this IEndpointRouteBuilder endpoints)
    {
        var faults = endpoints.MapGroup("/fault").AddEndpointFilter(async (context, next) =>
            context.HttpContext.RequestServices.GetRequiredService<FaultSettings>().Current.Enabled
                ? await next(context)
                : Results.Json(new ErrorAnswer("Fault injection is off here (Faults:Enabled is not true; it is never on in production)."),
                    BeaconJsonContext.Default.ErrorAnswer, statusCode: StatusCodes.Status404NotFound));

        faults.MapGet("/status/{code:int}", (int code) =>
        {
            if (code is < 200 or > 599)
                return Problem($"Status {code} cannot be injected: use a status from 200 to 599.");
            // These statuses must not carry a body.
            if (code is StatusCodes.Status204NoContent or StatusCodes.Status205ResetContent or StatusCodes.Status304NotModified)
                return Results.StatusCode(code);
            return Results.Json(new FaultAnswer(code, "status"), BeaconJsonContext.Default.FaultAnswer, statusCode: code);
        });

        faults.MapGet("/delay/{ms:int}", async (int ms, TimeProvider time, CancellationToken aborted) =>
        {
            if (ms is < 0 or > InjectedFaults.MaxLatencyMs)
                return Problem($"A delay of {ms} ms cannot be injected: use 0 to {InjectedFaults.MaxLatencyMs} ms.");
            await Task.Delay(TimeSpan.FromMilliseconds(ms), time, aborted);
            return Results.Json(new DelayAnswer(StatusCodes.Status200OK, "delay", ms), BeaconJsonContext.Default.DelayAnswer);
        });

        return endpoints;
    }

    static IResult Problem(string error) =>
        Results.Json(new ErrorAnswer(error), BeaconJsonContext.Default.ErrorAnswer, statusCode: StatusCodes.Status400BadRequest);
}

public sealed record FaultAnswer(int Status, string Fault);

public sealed record DelayAnswer(int Status, string Fault, int DelayMs);

public sealed record ErrorAnswer(string Error);
