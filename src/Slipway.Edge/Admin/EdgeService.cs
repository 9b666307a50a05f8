using Serilog;
using Slipway.Edge.Contract;
using Slipway.Edge.Fronts;
using Slipway.Edge.Routing;
using Slipway.Edge.State;

namespace Slipway.Edge.Admin;

/// <summary>
/// The edge's life: on start it serves the saved table; once its admin socket listens it takes the admin link and
/// catches up with any change the previous copy saved meanwhile; on stop it drains every listener.
/// </summary>
public sealed class EdgeService(EdgeOptions options, EdgeRouter router, RouteTableFile table, ILogger logger) : IHostedLifecycleService
{
    RegistryFront? registryFront;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options is { RegistryFront: { } endpoint, RegistrySocket: { } socket })
        {
            try
            {
                registryFront = await RegistryFront.StartAsync(endpoint, socket, options, logger, cancellationToken);
            }
            catch (EdgeRouteException exception)
            {
                // The environments' ports matter more than the registry's: serve them anyway; Infrastructure reports this.
                logger.Error("{Reason}", exception.Message);
            }
        }
        var saved = table.Load();
        await ServeAsync(saved, cancellationToken);
        logger.Information("Edge {Name} restored {Count} route(s) from {Path}", options.Name, saved.Routes.Count, table.Path);
    }

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        AdminSocket.Restrict(options.OwnAdminSocket);
        using (await AdminLock.AcquireAsync(options.StateDirectory, cancellationToken))
        {
            AdminSocket.Take(options.AdminSocket, options.OwnAdminSocket);
            await ServeAsync(table.Load(), cancellationToken);
        }
        logger.Information("Edge {Name} serves the admin API on {Socket}", options.Name, options.AdminSocket);
    }

    /// <summary>Serves exactly <paramref name="wanted"/>; a route that cannot be served is logged and stays in the table.</summary>
    async Task ServeAsync(EdgeRouteTable wanted, CancellationToken cancellationToken)
    {
        foreach (var stale in router.Routes.Select(r => r.Environment).Except(wanted.Routes.Select(r => r.Environment)).ToList())
            await router.RemoveAsync(stale, cancellationToken);
        foreach (var route in wanted.Routes)
        {
            try
            {
                await router.SetAsync(route, cancellationToken);
            }
            catch (EdgeRouteException exception)
            {
                logger.Error("Edge cannot serve {Environment}: {Reason}", route.Environment, exception.Message);
            }
        }
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var fronts = registryFront is null ? Task.CompletedTask : registryFront.DisposeAsync().AsTask();
        await Task.WhenAll(router.DisposeAsync().AsTask(), fronts);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
