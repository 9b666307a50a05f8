using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Serilog;
using Slipway.Edge.Contract;
using Slipway.Edge.Contract.Loopback;
using Slipway.Edge.Routing;
using Yarp.ReverseProxy.Forwarder;

namespace Slipway.Edge.Fronts;

/// <summary>
/// The registry's public address. The registry (distribution, which checks no Host) listens only on a unix socket in a
/// directory of mode 700; this listener checks Host, so a DNS-rebound name gets 421, and forwards everything else,
/// keeping the Host the client named so the upload URLs the registry hands out point back here. Bound with
/// SO_REUSEPORT like the environments' ports, so an edge upgrade hands it over too.
/// </summary>
sealed class RegistryFront : IAsyncDisposable
{
    readonly WebApplication app;
    readonly HttpMessageInvoker client;
    readonly TimeSpan drain;

    RegistryFront(WebApplication app, HttpMessageInvoker client, TimeSpan drain)
    {
        this.app = app;
        this.client = client;
        this.drain = drain;
    }

    public static async Task<RegistryFront> StartAsync(IPEndPoint endpoint, string registrySocket, EdgeOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "slipway-edge-registry" });
        builder.WebHost.UseSockets(sockets => sockets.CreateBoundListenSocket = SharedPortSocket.Bind);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(endpoint);
            kestrel.Limits.MaxRequestBodySize = null; // image layers: the registry itself bounds nothing smaller
        });
        builder.Services.AddSerilog(logger.ForContext("Front", "registry"), dispose: false);
        builder.Services.AddHttpForwarder();
        var app = builder.Build();
        var client = new HttpMessageInvoker(UnixSocketHttp.Handler(registrySocket));
        app.Use(async (context, next) =>
        {
            if (!PublicRoutes.HostAllowed(EdgeRoute.DefaultAllowedHosts, context.Request))
            {
                context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
                return;
            }
            await next();
        });
        app.MapForwarder("/{**catch-all}", "http://registry", new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromMinutes(2) },
            OriginalHostTransformer.Instance, client);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException exception)
        {
            await app.DisposeAsync();
            client.Dispose();
            throw new EdgeRouteException(
                $"The edge cannot front the registry on {endpoint} ({exception.Message}): another process holds that port. " +
                "Stop it ('ss -ltnp sport = :" + endpoint.Port + "' names it), then run ./build.sh Infrastructure again.", exception);
        }
        logger.Information("Edge fronts the registry on {Endpoint} (to {Socket})", endpoint, registrySocket);
        return new RegistryFront(app, client, options.Drain);
    }

    /// <summary>Stops listening at once and lets uploads in flight finish within the drain time.</summary>
    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(drain);
        await app.StopAsync(stop.Token);
        await app.DisposeAsync();
        client.Dispose();
    }

    /// <summary>The default request copy, with the client's Host instead of the destination's.</summary>
    sealed class OriginalHostTransformer : HttpTransformer
    {
        public static readonly OriginalHostTransformer Instance = new();

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Headers.Host = httpContext.Request.Host.Value;
        }
    }
}
