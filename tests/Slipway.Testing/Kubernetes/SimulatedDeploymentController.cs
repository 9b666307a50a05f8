using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Slipway.Testing.Kubernetes;

/// <summary>What the SIMULATED Deployment controller does when a Deployment's spec changes.</summary>
public enum SimulatedRollout
{
    /// <summary>Observes the generation, then brings every replica up to date and available (a rollout that completes).</summary>
    Progress,
    /// <summary>Observes the generation; the new pods never become available and Progressing turns False with ProgressDeadlineExceeded.</summary>
    Stall,
    /// <summary>Does nothing: the test moves the status itself (<see cref="SimulatedDeploymentController.SetStatus"/>).</summary>
    Manual,
}

/// <summary>One rollout the SIMULATED controller completed: what actually "ran" afterwards.</summary>
public sealed record SimulatedRolloutRecord(string Namespace, string Name, long Generation, string? Image, int Replicas);

/// <summary>
/// The SIMULATION's stand-in for kube-controller-manager's Deployment controller: reacts to each new generation of a
/// Deployment by writing its status (observedGeneration, replicas, updatedReplicas, availableReplicas, conditions) in two
/// steps, so a watcher first sees the rollout in progress. No pods exist; the status is the whole story.
/// </summary>
public sealed class SimulatedDeploymentController : IAsyncDisposable
{
    public const string Manager = "simulated-deployment-controller";

    private readonly SimulatedObjectStore _store;
    private readonly ConcurrentDictionary<(string Namespace, string Name), SimulatedRollout> _behaviours = new();
    private readonly ConcurrentQueue<SimulatedRolloutRecord> _completed = new();
    private readonly List<Task> _work = [];
    private readonly Lock _workLock = new();

    internal SimulatedDeploymentController(SimulatedObjectStore store)
    {
        _store = store;
        store.GenerationChanged += OnGenerationChanged;
    }

    /// <summary>What happens to Deployments without a behaviour of their own.</summary>
    public SimulatedRollout DefaultBehaviour { get; set; } = SimulatedRollout.Progress;

    /// <summary>Chooses what happens to the next rollouts of one Deployment.</summary>
    public void SetBehaviour(string @namespace, string name, SimulatedRollout behaviour) => _behaviours[(@namespace, name)] = behaviour;

    /// <summary>Every rollout completed so far, in order.</summary>
    public IReadOnlyList<SimulatedRolloutRecord> CompletedRollouts => [.. _completed];

    /// <summary>Writes a Deployment's status directly (Manual behaviour).</summary>
    public void SetStatus(string @namespace, string name, JsonObject status) =>
        _store.Modify(new SimulatedObjectKey(SimulatedResourceType.Deployments, @namespace, name), Manager, statusOnly: true, item =>
        {
            item["status"] = status.DeepClone();
            return item;
        });

    private void OnGenerationChanged(SimulatedObjectKey key, JsonObject deployment)
    {
        if (key.Type != SimulatedResourceType.Deployments) return;
        var behaviour = _behaviours.GetValueOrDefault((key.Namespace!, key.Name), DefaultBehaviour);
        if (behaviour == SimulatedRollout.Manual) return;
        var generation = SimulatedJson.Number(deployment["metadata"]!["generation"])!.Value;
        var task = Task.Run(() => Reconcile(key, generation, behaviour));
        lock (_workLock) _work.Add(task);
    }

    /// <summary>Completes the current generation's rollout now (for Deployments under <see cref="SimulatedRollout.Manual"/>).</summary>
    public void CompleteRollout(string @namespace, string name) => Finish(Current(@namespace, name), SimulatedRollout.Progress);

    /// <summary>Stalls the current generation's rollout now: ProgressDeadlineExceeded.</summary>
    public void StallRollout(string @namespace, string name) => Finish(Current(@namespace, name), SimulatedRollout.Stall);

    private (SimulatedObjectKey Key, long Generation) Current(string @namespace, string name)
    {
        var key = new SimulatedObjectKey(SimulatedResourceType.Deployments, @namespace, name);
        return (key, SimulatedJson.Number(_store.Get(key)["metadata"]!["generation"])!.Value);
    }

    private void Reconcile(SimulatedObjectKey key, long generation, SimulatedRollout behaviour)
    {
        try
        {
            // Step 1: the new generation is observed; the new ReplicaSet starts with no pods.
            Write(key, generation, (spec, status) =>
            {
                status["updatedReplicas"] = 0;
                status["conditions"] = Conditions(available: (SimulatedJson.Number(status["availableReplicas"]) ?? 0) > 0,
                    progressing: ("True", "ReplicaSetUpdated", $"ReplicaSet \"{Hash(key, generation)}\" is progressing."));
            });
            // Step 2: the rollout completes or stalls.
            Finish((key, generation), behaviour);
        }
        catch (SimulatedApiException)
        {
            // Deleted meanwhile: nothing left to roll out.
        }
    }

    private void Finish((SimulatedObjectKey Key, long Generation) target, SimulatedRollout behaviour)
    {
        var (key, generation) = target;
        Write(key, generation, (spec, status) =>
        {
            var replicas = (int)(SimulatedJson.Number(spec["replicas"]) ?? 1);
            status["replicas"] = replicas;
            status["updatedReplicas"] = replicas;
            if (behaviour == SimulatedRollout.Progress)
            {
                status["readyReplicas"] = replicas;
                status["availableReplicas"] = replicas;
                status.Remove("unavailableReplicas");
                status["conditions"] = Conditions(available: true,
                    progressing: ("True", "NewReplicaSetAvailable", $"ReplicaSet \"{Hash(key, generation)}\" has successfully progressed."));
                var image = spec["template"]?["spec"]?["containers"]?[0]?["image"]?.GetValue<string>();
                _completed.Enqueue(new SimulatedRolloutRecord(key.Namespace!, key.Name, generation, image, replicas));
            }
            else
            {
                status["readyReplicas"] = 0;
                status["availableReplicas"] = 0;
                status["unavailableReplicas"] = replicas;
                status["conditions"] = Conditions(available: replicas == 0,
                    progressing: ("False", "ProgressDeadlineExceeded", $"ReplicaSet \"{Hash(key, generation)}\" has timed out progressing."));
            }
        });
    }

    /// <summary>Writes the status only while <paramref name="generation"/> is still the latest (a newer spec supersedes this rollout).</summary>
    private void Write(SimulatedObjectKey key, long generation, Action<JsonObject, JsonObject> change) =>
        _store.Modify(key, Manager, statusOnly: true, item =>
        {
            if (SimulatedJson.Number(item["metadata"]!["generation"])!.Value != generation) return item;
            var status = item["status"] as JsonObject ?? new JsonObject();
            status["observedGeneration"] = generation;
            change(item["spec"]!.AsObject(), status);
            item["status"] = status.DeepClone();
            return item;
        });

    private static JsonArray Conditions(bool available, (string Status, string Reason, string Message) progressing)
    {
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        return
        [
            new JsonObject
            {
                ["type"] = "Available", ["status"] = available ? "True" : "False",
                ["reason"] = available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                ["message"] = available ? "Deployment has minimum availability." : "Deployment does not have minimum availability.",
                ["lastUpdateTime"] = now, ["lastTransitionTime"] = now,
            },
            new JsonObject
            {
                ["type"] = "Progressing", ["status"] = progressing.Status, ["reason"] = progressing.Reason, ["message"] = progressing.Message,
                ["lastUpdateTime"] = now, ["lastTransitionTime"] = now,
            },
        ];
    }

    private static string Hash(SimulatedObjectKey key, long generation) =>
        $"{key.Name}-{(uint)HashCode.Combine(key.Name, generation) % 0xFFFFF:x5}";

    public async ValueTask DisposeAsync()
    {
        _store.GenerationChanged -= OnGenerationChanged;
        Task[] work;
        lock (_workLock) work = [.. _work];
        await Task.WhenAll(work).ConfigureAwait(false);
    }
}
