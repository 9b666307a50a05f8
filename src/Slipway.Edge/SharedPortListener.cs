using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Serilog;
using Slipway.Edge.Contract.Loopback;

namespace Slipway.Edge;

/// <summary>
/// What every public listener of the edge (an environment's port, the registry's) has in common: its own small Kestrel
/// app on a port shared with the next edge copy (SO_REUSEPORT), started with a clear error when another process holds
/// the port, and stopped by closing at once and draining in-flight requests.
/// </summary>
static class SharedPortListener
{
    public static WebApplicationBuilder CreateBuilder(string applicationName, IPEndPoint endpoint, ILogger logger, Action<KestrelServerOptions>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = applicationName });
        builder.WebHost.UseSockets(sockets => sockets.CreateBoundListenSocket = SharedPortSocket.Bind);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(endpoint);
            configure?.Invoke(kestrel);
        });
        builder.Services.AddSerilog(logger, dispose: false);
        return builder;
    }

    /// <summary>Starts <paramref name="app"/>; a port that cannot be bound disposes it and throws <paramref name="refusal"/>'s exception.</summary>
    public static async Task StartAsync(WebApplication app, Func<IOException, Exception> refusal, CancellationToken cancellationToken)
    {
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException exception)
        {
            await app.DisposeAsync();
            throw refusal(exception);
        }
    }

    /// <summary>Stops listening at once and lets in-flight requests finish within <paramref name="drain"/>.</summary>
    public static async Task StopAsync(WebApplication app, TimeSpan drain)
    {
        using var stop = new CancellationTokenSource(drain);
        await app.StopAsync(stop.Token);
        await app.DisposeAsync();
    }
}
