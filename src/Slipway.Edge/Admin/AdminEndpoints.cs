using Slipway.Edge.Contract;
using Slipway.Edge.Routing;
using Slipway.Edge.State;

namespace Slipway.Edge.Admin;

/// <summary>
/// The admin API the agent drives: read the table, set or remove one environment's route. Every change is applied,
/// then saved, under the admin lock; a copy that no longer holds the admin link answers 503 so the caller reconnects.
/// </summary>
public static class AdminEndpoints
{
    public static void MapEdgeAdmin(this WebApplication app)
    {
        app.MapGet(EdgeAdminApi.Health, (EdgeOptions options) =>
            Results.Ok(new { options.Name, Serving = AdminSocket.IsHeldBy(options.AdminSocket, options.OwnAdminSocket) }));

        app.MapGet(EdgeAdminApi.Routes, (HttpContext context, EdgeOptions options, EdgeRouter router) =>
            AdminSocket.IsHeldBy(options.AdminSocket, options.OwnAdminSocket) ? Results.Ok(new EdgeRouteTable(router.Routes)) : NotServing(context));

        app.MapPut("/routes/{environment}", async (HttpContext context, string environment, EdgeRoute route, EdgeOptions options, EdgeRouter router, RouteTableFile table,
                                                   CancellationToken cancellationToken) =>
        {
            if (!string.Equals(environment, route.Environment, StringComparison.Ordinal))
                return Results.Problem($"The path names '{environment}' but the route names '{route.Environment}'.", statusCode: StatusCodes.Status400BadRequest);
            if (route.Problem() is { } problem)
                return Results.Problem($"The route of '{environment}' is invalid: {problem}.", statusCode: StatusCodes.Status400BadRequest);
            using (await AdminLock.AcquireAsync(options.StateDirectory, cancellationToken))
            {
                if (!AdminSocket.IsHeldBy(options.AdminSocket, options.OwnAdminSocket)) return NotServing(context);
                try
                {
                    await router.SetAsync(route, cancellationToken);
                }
                catch (EdgeRouteException exception)
                {
                    return Results.Problem(exception.Message, statusCode: StatusCodes.Status409Conflict);
                }
                table.Save(new EdgeRouteTable(router.Routes));
            }
            return Results.Ok(route);
        });

        app.MapDelete("/routes/{environment}", async (HttpContext context, string environment, EdgeOptions options, EdgeRouter router, RouteTableFile table,
                                                      CancellationToken cancellationToken) =>
        {
            using (await AdminLock.AcquireAsync(options.StateDirectory, cancellationToken))
            {
                if (!AdminSocket.IsHeldBy(options.AdminSocket, options.OwnAdminSocket)) return NotServing(context);
                var removed = await router.RemoveAsync(environment, cancellationToken);
                table.Save(new EdgeRouteTable(router.Routes));
                return removed ? Results.NoContent() : Results.NotFound();
            }
        });
    }

    /// <summary>503 and a closed connection: the caller's next connection goes through admin.sock to the copy that serves.</summary>
    static IResult NotServing(HttpContext context)
    {
        context.Response.Headers.Connection = "close";
        return Results.Problem("This edge copy is handing over to a newer one; connect again.", statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
