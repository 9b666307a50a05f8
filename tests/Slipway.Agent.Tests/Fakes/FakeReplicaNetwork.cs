using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Slipway.Agent.Backends.Docker;

namespace Slipway.Agent.Tests.Fakes;

/// <summary>
/// The agent's HTTP on the fakes: a request to a replica's published port reaches that fake replica (readiness and
/// liveness paths, /metrics, /version, anything else is a served request); a request to a router's port is split
/// like the real router does (the audience to the canary; the weight as an exact share, deterministically) and
/// reaches one of the chosen replicas, round robin. A port nothing listens on answers with no status code.
/// </summary>
public sealed class FakeReplicaNetwork(FakeContainerRuntime runtime, FakeRouter router, FakeTimeProvider time) : IReplicaHttp
{
    readonly Lock gate = new();
    readonly Dictionary<string, int> canaryCredit = new(StringComparer.Ordinal);
    readonly Dictionary<string, int> roundRobin = new(StringComparer.Ordinal);

    public string ReadinessPath { get; init; } = "/readyz";
    public string LivenessPath { get; init; } = "/healthz";

    /// <summary>Every request in the order sent, with how many router updates had been made by then (what came first).</summary>
    public List<(Uri Url, int RouterUpdates)> Requests { get; } = [];

    public Task<HttpAnswer> GetAsync(Uri url, TimeSpan timeout, KeyValuePair<string, string>? header, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (gate) Requests.Add((url, router.History.Count));
        return Task.FromResult(Answer(url, header));
    }

    HttpAnswer Answer(Uri url, KeyValuePair<string, string>? header)
    {
        if (runtime.ByPort(url.Port) is { } replica)
            return replica.State == "paused" ? TimedOut : replica.IsRunning ? FromReplica(replica, url.AbsolutePath) : Refused;
        if (router.ByPort(url.Port) is not { } route) return Refused;
        var chosen = Choose(route.Key, route.Split, header);
        if (chosen is null) return new HttpAnswer(503, "no destination");
        return runtime.ByPort(chosen.Port) is { IsRunning: true } target ? FromReplica(target, url.AbsolutePath) : new HttpAnswer(502, "destination down");
    }

    static readonly HttpAnswer Refused = new(null, "Connection refused");

    /// <summary>A paused replica accepts the connection (the kernel does) but never answers.</summary>
    static readonly HttpAnswer TimedOut = new(null, "The request timed out");

    HttpAnswer FromReplica(FakeContainer replica, string path)
    {
        if (path == ReadinessPath)
            return replica.IsReady(time.GetUtcNow()) && !replica.ReadinessOff ? new HttpAnswer(200, "ready") : new HttpAnswer(503, "not ready");
        if (path == LivenessPath)
            return replica.IsReady(time.GetUtcNow()) && !replica.LivenessFailing ? new HttpAnswer(200, "alive") : new HttpAnswer(500, "not alive");
        if (path == CanaryRollout.MetricsPath) return new HttpAnswer(200, replica.Metrics());
        if (path == "/version")
        {
            var digest = replica.Behaviour.ReportsWrongDigest ? "sha256:" + new string('f', 64) : replica.Image.Split('@')[1];
            return new HttpAnswer(200, JsonSerializer.Serialize(new { imageDigest = digest }));
        }
        return new HttpAnswer(replica.Serve(path), "served");
    }

    Uri? Choose(string key, Routing.TrafficSplit split, KeyValuePair<string, string>? header)
    {
        lock (gate)
        {
            var audience = split.Audience is { } match && header is { } sent &&
                           (match.Header is not null ? sent.Key == match.Header && sent.Value == match.Value : sent.Key == "Cookie" && sent.Value == $"{match.Cookie}={match.Value}");
            var toCanary = split.Canary.Count > 0 && (audience || TakeCanaryShare(key, split.CanaryWeight));
            var set = (toCanary ? split.Canary : split.Stable).ToList();
            if (set.Count == 0) set = (toCanary ? split.Stable : split.Canary).ToList();
            if (set.Count == 0) return null;
            var next = roundRobin.GetValueOrDefault(key);
            roundRobin[key] = next + 1;
            return set[next % set.Count].Address;
        }
    }

    /// <summary>Exactly <paramref name="weight"/> of every 100 requests go to the canary, spread evenly.</summary>
    bool TakeCanaryShare(string key, int weight)
    {
        var credit = canaryCredit.GetValueOrDefault(key) + weight;
        var toCanary = credit >= 100;
        canaryCredit[key] = toCanary ? credit - 100 : credit;
        return toCanary;
    }
}
