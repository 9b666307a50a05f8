using System.Net;
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
    readonly TimeSpan drain;

    RegistryFront(WebApplication app, TimeSpan drain)
    {
        this.app = app;
        this.drain = drain;
    }

    public static async Task<RegistryFront> StartAsync(IPEndPoint endpoint, string registrySocket, EdgeOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        // No body limit: image layers; the registry itself bounds nothing smaller.
        var builder = SharedPortListener.CreateBuilder("slipway-edge-registry", endpoint, logger.ForContext("Front", "registry"),
            kestrel => kestrel.Limits.MaxRequestBodySize = null);
        builder.Services.AddHttpForwarder();
        // Made by the container, so disposed with the app.
        builder.Services.AddSingleton(_ => new HttpMessageInvoker(UnixSocketHttp.Handler(registrySocket)));
        var app = builder.Build();
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
            OriginalHostTransformer.Instance, app.Services.GetRequiredService<HttpMessageInvoker>());
        await SharedPortListener.StartAsync(app, exception => new EdgeRouteException(
            $"The edge cannot front the registry on {endpoint} ({exception.Message}): another process holds that port. " +
            $"Stop it ('ss -ltnp sport = :{endpoint.Port}' names it), then run ./build.sh Infrastructure again.", exception), cancellationToken);
        logger.Information("Edge fronts the registry on {Endpoint} (to {Socket})", endpoint, registrySocket);
        return new RegistryFront(app, options.Drain);
    }

    /// <summary>Stops listening at once and lets uploads in flight finish within the drain time.</summary>
    public async ValueTask DisposeAsync() => await SharedPortListener.StopAsync(app, drain);

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
