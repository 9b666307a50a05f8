using System.Collections.Concurrent;
using System.Net;
using Serilog;
using Yarp.ReverseProxy.Configuration;

namespace Slipway.Agent.Routing;

/// <summary>A backend replica the router may send traffic to.</summary>
public sealed record RouteDestination(string Id, Uri Address);

/// <summary>
/// Two destination sets of one environment: <see cref="CanaryWeight"/> percent of requests go to <see cref="Canary"/>,
/// the rest to <see cref="Stable"/>; a request matching <see cref="Audience"/> always goes to the canary (A/B).
/// </summary>
public sealed record TrafficSplit(IReadOnlyCollection<RouteDestination> Stable, IReadOnlyCollection<RouteDestination> Canary, int CanaryWeight, AudienceMatch? Audience = null)
{
    public static TrafficSplit StableOnly(IReadOnlyCollection<RouteDestination> stable) => new(stable, [], 0);
}

/// <summary>Flagger-style A/B: a request whose header (or cookie) equals <see cref="Value"/> is in the audience.</summary>
public sealed record AudienceMatch(string? Header, string? Cookie, string Value)
{
    public bool Matches(HttpRequest request) =>
        Header is not null ? request.Headers.TryGetValue(Header, out var values) && values.Contains(Value, StringComparer.Ordinal)
        : Cookie is not null && request.Cookies.TryGetValue(Cookie, out var cookie) && string.Equals(cookie, Value, StringComparison.Ordinal);
}

/// <summary>
/// The single-machine edge: one YARP reverse proxy per environment on its stable 127.0.0.1 port. Destinations are
/// replaced live through YARP's in-memory config, so a replica leaves the router before it is stopped.
/// </summary>
public sealed class EdgeRouter(ILogger logger) : ITrafficRouter, IAsyncDisposable
{
    readonly ConcurrentDictionary<string, EnvironmentProxy> proxies = new(StringComparer.Ordinal);
    readonly SemaphoreSlim gate = new(1, 1);

    /// <summary>Serves <paramref name="environment"/> on <paramref name="port"/> with exactly these destinations (starting or moving the listener as needed).</summary>
    public Task SetAsync(string environment, int port, string healthPath, IReadOnlyCollection<RouteDestination> destinations, CancellationToken cancellationToken) =>
        SetSplitAsync(environment, port, healthPath, TrafficSplit.StableOnly(destinations), cancellationToken);

    /// <summary>
    /// Serves <paramref name="environment"/> with a stable and a canary destination set split by weight and audience.
    /// The choice is made per request before load balancing and swapped atomically, so a weight change drops no request
    /// (in-flight requests finish where they started).
    /// </summary>
    public async Task SetSplitAsync(string environment, int port, string healthPath, TrafficSplit split, CancellationToken cancellationToken)
    {
        if (split.CanaryWeight is < 0 or > 100) throw new ArgumentOutOfRangeException(nameof(split), split.CanaryWeight, "A canary weight is a percentage, 0-100.");
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
            proxy.Update(healthPath, split);
        }
        finally
        {
            gate.Release();
        }
    }

    public IReadOnlyCollection<RouteDestination> Destinations(string environment) =>
        proxies.TryGetValue(environment, out var proxy) ? proxy.Current : [];

    /// <summary>The current split (stable only after <see cref="SetAsync"/>); null when the environment has no router.</summary>
    public TrafficSplit? Split(string environment) => proxies.TryGetValue(environment, out var proxy) ? proxy.Selector.Split : null;

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

    /// <summary>Narrows each request's available destinations to the set the split chooses for it.</summary>
    sealed class TrafficSelector
    {
        sealed record Choice(TrafficSplit Split, IReadOnlySet<string> CanaryIds);

        volatile Choice choice = new(TrafficSplit.StableOnly([]), new HashSet<string>());

        public TrafficSplit Split => choice.Split;

        public void Set(TrafficSplit split) =>
            choice = new Choice(split, split.Canary.Select(d => d.Id).ToHashSet(StringComparer.Ordinal));

        public void Select(HttpContext context)
        {
            var current = choice;
            if (current.CanaryIds.Count == 0) return;
            var toCanary = current.Split.Audience?.Matches(context.Request) == true
                           || (current.Split.CanaryWeight > 0 && Random.Shared.Next(100) < current.Split.CanaryWeight);
            var feature = context.GetReverseProxyFeature();
            var chosen = feature.AvailableDestinations.Where(d => current.CanaryIds.Contains(d.DestinationId) == toCanary).ToList();
            // The chosen set has no healthy replica: the other set answers rather than the request failing.
            if (chosen.Count > 0) feature.AvailableDestinations = chosen;
        }
    }

    sealed class EnvironmentProxy(WebApplication app, InMemoryConfigProvider config, TrafficSelector selector, int port) : IAsyncDisposable
    {
        public int Port { get; } = port;
        public IReadOnlyCollection<RouteDestination> Current { get; private set; } = [];
        public TrafficSelector Selector { get; } = selector;

        public static async Task<EnvironmentProxy> StartAsync(string environment, int port, ILogger logger, CancellationToken cancellationToken)
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = $"slipway-router-{environment}" });
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
            builder.Services.AddSerilog(logger.ForContext("Router", environment), dispose: false);
            builder.Services.AddReverseProxy().LoadFromMemory([], []);
            var app = builder.Build();
            var selector = new TrafficSelector();
            app.MapReverseProxy(pipeline =>
            {
                // The split narrows the destinations first; then the standard steps of the parameterless MapReverseProxy().
                pipeline.Use((context, next) =>
                {
                    selector.Select(context);
                    return next();
                });
                pipeline.UseSessionAffinity();
                pipeline.UseLoadBalancing();
                pipeline.UsePassiveHealthChecks();
            });
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
            return new EnvironmentProxy(app, app.Services.GetRequiredService<InMemoryConfigProvider>(), selector, port);
        }

        public void Update(string healthPath, TrafficSplit split)
        {
            var destinations = split.Stable.Concat(split.Canary).DistinctBy(d => d.Id).ToList();
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
            // A new canary replica joins YARP's config before the split may choose it, and a leaving one is out of the
            // split before it leaves the config: requests never meet an empty choice.
            var previous = Selector.Split;
            var joining = split.Canary.Select(d => d.Id).Except(previous.Canary.Select(d => d.Id)).Any();
            if (joining)
            {
                config.Update([route], [cluster]);
                Selector.Set(split);
            }
            else
            {
                Selector.Set(split);
                config.Update([route], [cluster]);
            }
            Current = destinations;
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
