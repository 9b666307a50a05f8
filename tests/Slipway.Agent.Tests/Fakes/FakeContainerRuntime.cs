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

    /// <summary>What `docker pause` does: the container stays listed as paused, and nothing it serves answers any more.</summary>
    public void Pause(string id)
    {
        lock (gate) containers[id].State = "paused";
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

    public Task<string> TailLogsAsync(string id, CancellationToken cancellationToken) => Task.FromResult("(fake replica: no logs)");
}
