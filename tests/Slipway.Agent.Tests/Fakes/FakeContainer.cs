using Slipway.Agent.Backends.Docker;

namespace Slipway.Agent.Tests.Fakes;

/// <summary>One container of the fake engine, with what its replica has served.</summary>
public sealed class FakeContainer(
    string id, string name, string image, Dictionary<string, string> labels, Dictionary<int, int> hostPorts, DateTimeOffset startedAt, ReplicaBehaviour behaviour)
{
    readonly Lock gate = new();
    readonly Dictionary<(int Code, string Endpoint), int> served = [];

    public string Id { get; } = id;
    public string Name { get; } = name;
    public string Image { get; } = image;
    public IReadOnlyDictionary<string, string> Labels { get; } = labels;
    public Dictionary<int, int> HostPorts { get; } = hostPorts;
    public ReplicaBehaviour Behaviour { get; } = behaviour;
    public DateTimeOffset Created { get; } = startedAt;
    public DateTimeOffset StartedAt { get; set; } = startedAt;
    public DateTimeOffset? FirstReadyAt { get; private set; }
    public DateTimeOffset? RemovedAt { get; set; }
    public string State { get; set; } = "running";

    /// <summary>Its readiness turned off (a fault injected, a dependency down): /readyz answers 503, /healthz still 200.</summary>
    public bool ReadinessOff { get; set; }

    /// <summary>Its process hangs where the liveness probe looks: /healthz answers 500, /readyz still 200.</summary>
    public bool LivenessFailing { get; set; }
    public bool IsRunning => State == "running";
    public bool IsCanary => Labels.GetValueOrDefault(ReplicaTrack.Label) == ReplicaTrack.CanaryName;
    public int Requests { get { lock (gate) return served.Values.Sum(); } }

    public bool IsReady(DateTimeOffset now)
    {
        if (!IsRunning || !Behaviour.BecomesReady || now - StartedAt < Behaviour.StartupTime) return false;
        FirstReadyAt ??= now;
        return true;
    }

    /// <summary>Serves one request: every n-th answers 500 so the served share of errors follows the behaviour's error rate.</summary>
    public int Serve(string endpoint)
    {
        lock (gate)
        {
            var total = served.Values.Sum();
            var errors = served.Where(p => p.Key.Code == 500).Sum(p => p.Value);
            var code = errors < Behaviour.ErrorRate * (total + 1) ? 500 : 200;
            served[(code, endpoint)] = served.GetValueOrDefault((code, endpoint)) + 1;
            return code;
        }
    }

    /// <summary>Its Prometheus exposition, as prometheus-net's HTTP histogram writes it.</summary>
    public string Metrics()
    {
        double[] bounds = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
        var seconds = Behaviour.LatencyMs / 1000;
        var lines = new List<string> { "# TYPE http_request_duration_seconds histogram" };
        lock (gate)
        {
            foreach (var ((code, endpoint), count) in served)
            {
                var labels = $"code=\"{code}\",method=\"GET\",controller=\"\",action=\"\",endpoint=\"{endpoint}\"";
                foreach (var bound in bounds)
                    lines.Add(FormattableString.Invariant($"http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {(seconds <= bound ? count : 0)}"));
                lines.Add(FormattableString.Invariant($"http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"));
                lines.Add(FormattableString.Invariant($"http_request_duration_seconds_sum{{{labels}}} {count * seconds}"));
                lines.Add(FormattableString.Invariant($"http_request_duration_seconds_count{{{labels}}} {count}"));
            }
        }
        return string.Join('\n', lines) + "\n";
    }

    public ManagedContainer ToManaged() => ManagedContainer.FromLabels(Id, Name, Labels, State, Created.UtcDateTime, HostPorts);
}
