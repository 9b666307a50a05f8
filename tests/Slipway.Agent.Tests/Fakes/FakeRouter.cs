using Slipway.Agent.Routing;

namespace Slipway.Agent.Tests.Fakes;

/// <summary>A router that records what the agent asks of it: each router key's port and split, and every change in order.</summary>
public sealed class FakeRouter : ITrafficRouter
{
    readonly Lock gate = new();
    readonly Dictionary<string, (int Port, TrafficSplit Split)> routes = new(StringComparer.Ordinal);

    /// <summary>Every split set, in order, per router key (environment or preview).</summary>
    public List<(string Key, TrafficSplit Split)> History { get; } = [];

    public Task SetAsync(string environment, int port, string healthPath, IReadOnlyCollection<RouteDestination> destinations, CancellationToken cancellationToken) =>
        SetSplitAsync(environment, port, healthPath, TrafficSplit.StableOnly(destinations), cancellationToken);

    public Task SetSplitAsync(string environment, int port, string healthPath, TrafficSplit split, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (routes.Any(r => r.Key != environment && r.Value.Port == port))
                throw new InvalidOperationException($"The router for '{environment}' cannot listen on 127.0.0.1:{port}: another router has it");
            routes[environment] = (port, split);
            History.Add((environment, split));
        }
        return Task.CompletedTask;
    }

    public IReadOnlyCollection<RouteDestination> Destinations(string environment)
    {
        lock (gate) return routes.TryGetValue(environment, out var route) ? route.Split.Stable.Concat(route.Split.Canary).DistinctBy(d => d.Id).ToList() : [];
    }

    public TrafficSplit? Split(string environment)
    {
        lock (gate) return routes.TryGetValue(environment, out var route) ? route.Split : null;
    }

    public int? Port(string environment)
    {
        lock (gate) return routes.TryGetValue(environment, out var route) ? route.Port : null;
    }

    public (string Key, TrafficSplit Split)? ByPort(int port)
    {
        lock (gate) return routes.Where(r => r.Value.Port == port).Select(r => ((string, TrafficSplit)?)(r.Key, r.Value.Split)).FirstOrDefault();
    }

    /// <summary>The destination names currently served for <paramref name="key"/>, sorted.</summary>
    public IReadOnlyList<string> Served(string key) => Destinations(key).Select(d => d.Id).Order(StringComparer.Ordinal).ToList();

    public Task RemoveAsync(string environment)
    {
        lock (gate) routes.Remove(environment);
        return Task.CompletedTask;
    }
}
