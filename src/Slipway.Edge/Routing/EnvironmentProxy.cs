using System.Net;
using Serilog;
using Slipway.Edge.Contract;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Slipway.Edge.Routing;

/// <summary>One environment's listener on 127.0.0.1 and its YARP proxy; its route is replaced live.</summary>
sealed class EnvironmentProxy : IAsyncDisposable
{
    readonly WebApplication app;
    readonly InMemoryConfigProvider config;
    readonly TrafficSelector selector;
    readonly EdgeOptions options;

    EnvironmentProxy(WebApplication app, TrafficSelector selector, EdgeOptions options)
    {
        this.app = app;
        this.selector = selector;
        this.options = options;
        config = app.Services.GetRequiredService<InMemoryConfigProvider>();
    }

    public EdgeRoute? Route => selector.Route;

    public static async Task<EnvironmentProxy> StartAsync(string environment, int port, EdgeOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var builder = SharedPortListener.CreateBuilder($"slipway-edge-{environment}", new IPEndPoint(IPAddress.Loopback, port), logger.ForContext("Environment", environment));
        builder.Services.AddSingleton<Yarp.ReverseProxy.Health.IPassiveHealthCheckPolicy, EjectOnFailurePolicy>();
        builder.Services.AddReverseProxy().LoadFromMemory([], []);
        var app = builder.Build();
        var selector = new TrafficSelector();
        app.MapReverseProxy(pipeline =>
        {
            pipeline.Use(async (context, next) =>
            {
                if (selector.Route is { } route && PublicRoutes.Refusal(route, context.Request) is { } status)
                {
                    context.Response.StatusCode = status;
                    return;
                }
                selector.Select(context);
                await FailoverMiddleware.ForwardAsync(context, next);
            });
            // The standard steps of the parameterless MapReverseProxy().
            pipeline.UseSessionAffinity();
            pipeline.UseLoadBalancing();
            pipeline.UsePassiveHealthChecks();
        });
        await SharedPortListener.StartAsync(app, exception => new EdgeRouteException(
            $"The edge cannot listen on 127.0.0.1:{port} for '{environment}' ({exception.Message}). Free the port or change the " +
            "Service's slipway.dev/host-port annotation in the config repo.", exception), cancellationToken);
        return new EnvironmentProxy(app, selector, options);
    }

    public void Update(EdgeRoute route)
    {
        var destinations = route.Stable.Concat(route.Canary).DistinctBy(d => d.Id).ToList();
        var routeConfig = new RouteConfig { RouteId = "environment", ClusterId = "replicas", Match = new RouteMatch { Path = "{**catch-all}" } };
        var cluster = new ClusterConfig
        {
            ClusterId = "replicas",
            LoadBalancingPolicy = "RoundRobin",
            Destinations = destinations.ToDictionary(d => d.Id, d => new DestinationConfig { Address = d.Address }, StringComparer.Ordinal),
            // A replica silent this long has failed the request (which fails over) and is ejected.
            HttpRequest = new ForwarderRequestConfig { ActivityTimeout = options.ReplicaTimeout },
            HealthCheck = new HealthCheckConfig
            {
                Passive = new PassiveHealthCheckConfig { Enabled = true, Policy = EjectOnFailurePolicy.PolicyName, ReactivationPeriod = EjectOnFailurePolicy.ReactivationPeriod },
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = true, Interval = TimeSpan.FromSeconds(1), Timeout = options.ReplicaTimeout, Policy = "ConsecutiveFailures", Path = route.HealthPath,
                },
            },
        };
        // A joining canary replica is in YARP's config before the split may choose it, and a leaving one is out of the
        // split before it leaves the config: requests never meet an empty choice.
        var previousCanary = selector.Route?.Canary.Select(d => d.Id) ?? [];
        var joining = route.Canary.Select(d => d.Id).Except(previousCanary).Any();
        if (joining)
        {
            config.Update([routeConfig], [cluster]);
            selector.Set(route);
        }
        else
        {
            selector.Set(route);
            config.Update([routeConfig], [cluster]);
        }
    }

    /// <summary>Stops listening at once and lets in-flight requests finish within the drain time.</summary>
    public async ValueTask DisposeAsync() => await SharedPortListener.StopAsync(app, options.Drain);
}

/// <summary>A route the edge cannot serve; the message names the cause and the fix.</summary>
public sealed class EdgeRouteException(string message, Exception? inner = null) : Exception(message, inner);
