using System.Collections.Concurrent;
using System.Net;
using Serilog;
using Yarp.ReverseProxy.Configuration;

namespace Slipway.Agent.Routing;

/// <summary>A backend replica the router may send traffic to.</summary>
public sealed record RouteDestination(string Id, Uri Address);

/// <summary>
/// The single-machine edge: one YARP reverse proxy per environment on its stable 127.0.0.1 port. Destinations are
/// replaced live through YARP's in-memory config, so a replica leaves the router before it is stopped.
/// </summary>
public sealed class EdgeRouter(ILogger logger) : IAsyncDisposable
{
    readonly ConcurrentDictionary<string, EnvironmentProxy> proxies = new(StringComparer.Ordinal);
    readonly SemaphoreSlim gate = new(1, 1);

    /// <summary>Serves <paramref name="environment"/> on <paramref name="port"/> with exactly these destinations (starting or moving the listener as needed).</summary>
    public async Task SetAsync(string environment, int port, string healthPath, IReadOnlyCollection<RouteDestination> destinations, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (proxies.TryGetValue(environment, out var proxy) && proxy.Port != port)
            {
                await proxy.DisposeAsync();
                proxies.TryRemove(environment, out _);
                proxy = null;
            }
            if (proxy is null)
            {
                proxy = await EnvironmentProxy.StartAsync(environment, port, logger, cancellationToken);
                proxies[environment] = proxy;
                logger.Information("Router for {Environment} listening on 127.0.0.1:{Port}", environment, port);
            }
            proxy.Update(healthPath, destinations);
        }
        finally
        {
            gate.Release();
        }
    }

    public IReadOnlyCollection<RouteDestination> Destinations(string environment) =>
        proxies.TryGetValue(environment, out var proxy) ? proxy.Current : [];

    public int? Port(string environment) => proxies.TryGetValue(environment, out var proxy) ? proxy.Port : null;

    public async Task RemoveAsync(string environment)
    {
        await gate.WaitAsync();
        try
        {
            if (proxies.TryRemove(environment, out var proxy))
                await proxy.DisposeAsync();
        }
        finally
        {
            gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in proxies.Values) await proxy.DisposeAsync();
        proxies.Clear();
        gate.Dispose();
    }

    sealed class EnvironmentProxy(WebApplication app, InMemoryConfigProvider config, int port) : IAsyncDisposable
    {
        public int Port { get; } = port;
        public IReadOnlyCollection<RouteDestination> Current { get; private set; } = [];

        public static async Task<EnvironmentProxy> StartAsync(string environment, int port, ILogger logger, CancellationToken cancellationToken)
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = $"slipway-router-{environment}" });
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
            builder.Services.AddSerilog(logger.ForContext("Router", environment), dispose: false);
            builder.Services.AddReverseProxy().LoadFromMemory([], []);
            var app = builder.Build();
            app.MapReverseProxy();
            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (IOException exception)
            {
                await app.DisposeAsync();
                throw new InvalidOperationException(
                    $"The router for '{environment}' cannot listen on 127.0.0.1:{port} ({exception.Message}). Free the port or change the " +
                    "Service's slipway.dev/host-port annotation in the config repo.", exception);
            }
            return new EnvironmentProxy(app, app.Services.GetRequiredService<InMemoryConfigProvider>(), port);
        }

        public void Update(string healthPath, IReadOnlyCollection<RouteDestination> destinations)
        {
            var route = new RouteConfig { RouteId = "environment", ClusterId = "replicas", Match = new RouteMatch { Path = "{**catch-all}" } };
            var cluster = new ClusterConfig
            {
                ClusterId = "replicas",
                LoadBalancingPolicy = "RoundRobin",
                Destinations = destinations.ToDictionary(d => d.Id, d => new DestinationConfig { Address = d.Address.ToString() }, StringComparer.Ordinal),
                HealthCheck = new HealthCheckConfig
                {
                    // Passive: a replica that fails transport-wise is taken out for a while; active: readiness polled.
                    Passive = new PassiveHealthCheckConfig { Enabled = true, Policy = "TransportFailureRate", ReactivationPeriod = TimeSpan.FromSeconds(10) },
                    Active = new ActiveHealthCheckConfig { Enabled = true, Interval = TimeSpan.FromSeconds(2), Timeout = TimeSpan.FromSeconds(2), Policy = "ConsecutiveFailures", Path = healthPath },
                },
            };
            config.Update([route], [cluster]);
            Current = destinations;
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
