using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Slipway.Agent.Backends.Docker;
using Slipway.Delivery.AgentApi;

namespace Slipway.Agent.Tests.Fakes;

/// <summary>
/// An in-memory container engine that behaves like Docker where the backend looks: labelled containers with a state,
/// a creation time and a published 127.0.0.1 port per container port; names unique; stop and remove of a missing
/// container is not an error. Replicas behave as their image's <see cref="ReplicaBehaviour"/> says, and count the
/// requests <see cref="FakeReplicaNetwork"/> delivers to them. It records when each replica started and first answered ready.
/// </summary>
public sealed class FakeContainerRuntime(FakeTimeProvider time) : IContainerRuntime
{
    readonly Lock gate = new();
    readonly Dictionary<string, FakeContainer> containers = new(StringComparer.Ordinal);
    readonly Dictionary<string, ReplicaBehaviour> behaviours = new(StringComparer.Ordinal);
    int nextId;
    int nextPort = 40000;

    public void Behave(string image, ReplicaBehaviour behaviour)
    {
        lock (gate) behaviours[image] = behaviour;
    }

    public ReplicaBehaviour BehaviourOf(string image)
    {
        lock (gate) return behaviours.GetValueOrDefault(image, ReplicaBehaviour.Healthy);
    }

    /// <summary>Every container the engine has now (any state).</summary>
    public IReadOnlyList<FakeContainer> Containers
    {
        get { lock (gate) return containers.Values.ToList(); }
    }

    /// <summary>Every container ever started, also removed ones, in start order.</summary>
    public List<FakeContainer> Started { get; } = [];

    public IReadOnlyList<FakeContainer> Running(string environment) =>
        Containers.Where(c => c.IsRunning && c.Labels.GetValueOrDefault(AgentLabels.Environment) == environment).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();

    public FakeContainer? ByPort(int hostPort)
    {
        lock (gate) return containers.Values.FirstOrDefault(c => c.HostPorts.ContainsValue(hostPort));
    }

    /// <summary>What an operator or a crash does: the container exits (it stays listed, not running).</summary>
    public void Kill(string id)
    {
        lock (gate) containers[id].State = "exited";
    }

    /// <summary>What `docker rm -f` by hand does.</summary>
    public void RemoveByHand(string id)
    {
        lock (gate) containers.Remove(id);
    }

    public Task<IReadOnlyList<ManagedContainer>> ListAsync(IReadOnlyDictionary<string, string> labels, string? name, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            IReadOnlyList<ManagedContainer> listed = containers.Values
                .Where(c => labels.All(l => c.Labels.GetValueOrDefault(l.Key) == l.Value) && (name is null || c.Name == name))
                .Select(c => c.ToManaged())
                .ToList();
            return Task.FromResult(listed);
        }
    }

    public Task<ManagedContainer?> InspectAsync(string id, CancellationToken cancellationToken)
    {
        lock (gate) return Task.FromResult(containers.GetValueOrDefault(id)?.ToManaged());
    }

    public Task EnsureImageAsync(string image, ILogger log, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<ManagedContainer> CreateAndStartAsync(ContainerDefinition definition, CancellationToken cancellationToken)
    {
        var behaviour = BehaviourOf(definition.Image);
        lock (gate)
        {
            if (containers.Values.Any(c => c.Name == definition.Name))
                throw new ContainerRuntimeException($"Conflict. The container name \"/{definition.Name}\" is already in use");
            if (behaviour.RefusedByEngine)
                throw new ContainerRuntimeException($"the engine refused to start {definition.Image}");
            var id = (++nextId).ToString("x12", CultureInfo.InvariantCulture);
            var container = new FakeContainer(id, definition.Name, definition.Image, definition.Labels.ToDictionary(),
                definition.ContainerPorts.ToDictionary(p => p, _ => nextPort++), time.GetUtcNow(), behaviour);
            containers[id] = container;
            Started.Add(container);
            return Task.FromResult(container.ToManaged());
        }
    }

    public Task StopAndRemoveAsync(string id, CancellationToken cancellationToken) => RemoveAsync(id, cancellationToken);

    public Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (containers.Remove(id, out var removed)) removed.RemovedAt = time.GetUtcNow();
        }
        return Task.CompletedTask;
    }

    public Task RestartAsync(string id, CancellationToken cancellationToken)
    {
        lock (gate) containers[id].StartedAt = time.GetUtcNow();
        return Task.CompletedTask;
    }

    public Task<string> TailLogsAsync(string id, CancellationToken cancellationToken) => Task.FromResult("(fake replica: no logs)");
}

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
