using Serilog;
using Slipway.Edge.Contract;

namespace Slipway.Edge.Routing;

/// <summary>
/// The edge's routes: one <see cref="EnvironmentProxy"/> per environment, started, updated, moved to another port or
/// removed as the admin API asks. Changes are serialized; reads see the last applied route.
/// </summary>
public sealed class EdgeRouter(EdgeOptions options, ILogger logger) : IAsyncDisposable
{
    readonly Dictionary<string, EnvironmentProxy> proxies = new(StringComparer.Ordinal);
    readonly SemaphoreSlim gate = new(1, 1);

    public IReadOnlyList<EdgeRoute> Routes
    {
        get
        {
            lock (proxies) return proxies.Values.Select(p => p.Route).OfType<EdgeRoute>().OrderBy(r => r.Environment, StringComparer.Ordinal).ToList();
        }
    }

    public async Task SetAsync(EdgeRoute route, CancellationToken cancellationToken)
    {
        if (route.Problem() is { } problem) throw new EdgeRouteException($"The route of '{route.Environment}' is invalid: {problem}.");
        await gate.WaitAsync(cancellationToken);
        try
        {
            EnvironmentProxy? proxy;
            lock (proxies)
            {
                if (proxies.FirstOrDefault(p => p.Key != route.Environment && p.Value.Route?.Port == route.Port) is { Key: { } other })
                    throw new EdgeRouteException($"Port {route.Port} already serves '{other}'; give '{route.Environment}' its own slipway.dev/host-port.");
                proxies.TryGetValue(route.Environment, out proxy);
            }
            if (proxy is not null && proxy.Route?.Port != route.Port)
            {
                await RemoveHeldAsync(route.Environment);
                proxy = null;
            }
            if (proxy is null)
            {
                proxy = await EnvironmentProxy.StartAsync(route.Environment, route.Port, options, logger, cancellationToken);
                lock (proxies) proxies[route.Environment] = proxy;
                logger.Information("Edge serves {Environment} on 127.0.0.1:{Port}", route.Environment, route.Port);
            }
            proxy.Update(route);
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task<bool> RemoveAsync(string environment, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            return await RemoveHeldAsync(environment);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Removes a route; the caller holds the gate.</summary>
    async Task<bool> RemoveHeldAsync(string environment)
    {
        EnvironmentProxy? proxy;
        lock (proxies)
            if (!proxies.Remove(environment, out proxy)) return false;
        await proxy.DisposeAsync();
        logger.Information("Edge no longer serves {Environment}", environment);
        return true;
    }

    /// <summary>Stops every listener at once (a stopping edge) and drains them in parallel.</summary>
    public async ValueTask DisposeAsync()
    {
        List<EnvironmentProxy> all;
        lock (proxies)
        {
            all = [.. proxies.Values];
            proxies.Clear();
        }
        await Task.WhenAll(all.Select(p => p.DisposeAsync().AsTask()));
        gate.Dispose();
    }
}
