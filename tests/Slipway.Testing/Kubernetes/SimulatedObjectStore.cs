using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Slipway.Testing.Kubernetes;

internal sealed record SimulatedObjectKey(SimulatedResourceType Type, string? Namespace, string Name);

/// <summary>One watch event: type ADDED/MODIFIED/DELETED and the object as it was at that resourceVersion.</summary>
internal sealed record SimulatedWatchEvent(long ResourceVersion, string Type, SimulatedObjectKey Key, JsonObject Object);

/// <summary>
/// The SIMULATION's etcd: objects as JSON, one resourceVersion counter for the whole store (as etcd's revision), generation
/// bumped on spec changes, per-manager field ownership (managedFields) with apply conflicts, and the full event history
/// for watches (so no watch is ever too old: the simulation never answers 410 Gone).
/// </summary>
internal sealed class SimulatedObjectStore
{
    private sealed class Stored(JsonObject body)
    {
        public JsonObject Body { get; set; } = body;
        public Dictionary<string, (string Operation, string ApiVersion, HashSet<string> Fields)> Managers { get; } = new(StringComparer.Ordinal);
    }

    private readonly Lock _lock = new();
    private readonly Dictionary<SimulatedObjectKey, Stored> _objects = [];
    private readonly List<SimulatedWatchEvent> _history = [];
    private readonly List<Channel<SimulatedWatchEvent>> _watchers = [];
    private long _resourceVersion = 1;
    private readonly TimeProvider _time;

    public SimulatedObjectStore(TimeProvider time) => _time = time;

    /// <summary>Raised (outside the lock) after an object's generation changed or it was created: the controllers' cue.</summary>
    public event Action<SimulatedObjectKey, JsonObject>? GenerationChanged;

    /// <summary>How many watches are open now.</summary>
    public int ActiveWatches
    {
        get { lock (_lock) return _watchers.Count; }
    }

    public long CurrentResourceVersion
    {
        get { lock (_lock) return _resourceVersion; }
    }

    public JsonObject Get(SimulatedObjectKey key)
    {
        lock (_lock) return (Find(key) ?? throw NotFound(key)).Body.DeepClone().AsObject();
    }

    public JsonObject? TryGet(SimulatedObjectKey key)
    {
        lock (_lock) return Find(key)?.Body.DeepClone().AsObject();
    }

    public JsonObject List(SimulatedResourceType type, string? @namespace, SimulatedSelector selector)
    {
        lock (_lock)
        {
            var items = new JsonArray();
            foreach (var (key, stored) in _objects.OrderBy(pair => pair.Key.Namespace).ThenBy(pair => pair.Key.Name))
                if (key.Type == type && (@namespace is null || key.Namespace == @namespace) && selector.Matches(stored.Body))
                    items.Add(stored.Body.DeepClone());
            return new JsonObject
            {
                ["apiVersion"] = type.GroupVersion,
                ["kind"] = type.Kind + "List",
                ["metadata"] = new JsonObject { ["resourceVersion"] = Text(_resourceVersion) },
                ["items"] = items,
            };
        }
    }

    /// <summary>Server-side apply (application/apply-patch+yaml).</summary>
    public (JsonObject Object, bool Created) Apply(SimulatedObjectKey key, JsonObject body, string manager, bool force)
    {
        CheckIdentity(key, body);
        List<Action> raise = [];
        (JsonObject, bool) result;
        lock (_lock)
        {
            RequireNamespace(key);
            var existing = Find(key);
            var live = existing?.Body ?? NewObject(key);
            var includeStatus = !key.Type.StatusSubresource;
            var applied = SimulatedFieldPaths.Leaves(body, includeStatus);
            var stored = existing ?? new Stored(live);

            var conflicts = new List<(string Path, string Manager, string ApiVersion)>();
            foreach (var (path, value) in applied)
            foreach (var (other, entry) in stored.Managers)
                if (other != manager && entry.Fields.Contains(path) && !JsonNode.DeepEquals(SimulatedFieldPaths.Get(live, path), value))
                    conflicts.Add((path, other, entry.ApiVersion));
            if (conflicts.Count > 0 && !force) throw Conflict(conflicts);
            foreach (var (path, other, _) in conflicts) stored.Managers[other].Fields.Remove(path);

            var next = live.DeepClone().AsObject();
            // Fields this manager set before and no longer sets are removed, unless another manager still owns them.
            if (stored.Managers.TryGetValue(manager, out var previous))
                foreach (var dropped in previous.Fields.Where(path => !applied.ContainsKey(path)))
                    if (!stored.Managers.Any(pair => pair.Key != manager && pair.Value.Fields.Contains(dropped)))
                        SimulatedFieldPaths.Remove(next, dropped);
            foreach (var (path, value) in applied) SimulatedFieldPaths.Set(next, path, value);

            var ownershipChanged = previous.Fields is null || !previous.Fields.SetEquals(applied.Keys) || previous.Operation != "Apply";
            stored.Managers[manager] = ("Apply", body["apiVersion"]!.GetValue<string>(), [.. applied.Keys]);
            result = Commit(key, stored, existing is null, next, ownershipChanged, raise);
        }
        foreach (var action in raise) action();
        return result;
    }

    /// <summary>POST: creates; the manager owns every field it set (operation Update).</summary>
    public JsonObject Create(SimulatedObjectKey key, JsonObject body, string manager)
    {
        CheckIdentity(key, body, typeRequired: false);
        List<Action> raise = [];
        JsonObject result;
        lock (_lock)
        {
            RequireNamespace(key);
            if (Find(key) is not null)
                throw new SimulatedApiException(409, "AlreadyExists", $"{key.Type.QualifiedName} \"{key.Name}\" already exists");
            var stored = new Stored(NewObject(key));
            var next = stored.Body.DeepClone().AsObject();
            foreach (var (path, value) in SimulatedFieldPaths.Leaves(body, includeStatus: true)) SimulatedFieldPaths.Set(next, path, value);
            result = Update(key, stored, created: true, next, manager, body["apiVersion"]?.GetValue<string>() ?? key.Type.GroupVersion, raise).Object;
        }
        foreach (var action in raise) action();
        return result;
    }

    /// <summary>A non-apply write (merge patch, replace, the status subresource, the simulated controllers).</summary>
    public JsonObject Modify(SimulatedObjectKey key, string manager, bool statusOnly, Func<JsonObject, JsonObject> change)
    {
        List<Action> raise = [];
        JsonObject result;
        lock (_lock)
        {
            var stored = Find(key) ?? throw NotFound(key);
            var changed = change(stored.Body.DeepClone().AsObject());
            JsonObject next;
            if (statusOnly)
            {
                next = stored.Body.DeepClone().AsObject();
                next["status"] = changed["status"]?.DeepClone();
            }
            else
            {
                next = changed;
                if (key.Type.StatusSubresource) next["status"] = stored.Body["status"]?.DeepClone(); // the main resource ignores status
                next["metadata"] = Metadata(stored.Body, changed);
            }
            CheckIdentity(key, next, typeRequired: false);
            result = Update(key, stored, created: false, next, manager, key.Type.GroupVersion, raise, trackFields: !statusOnly).Object;
        }
        foreach (var action in raise) action();
        return result;
    }

    public JsonObject Delete(SimulatedObjectKey key)
    {
        lock (_lock)
        {
            var stored = Find(key) ?? throw NotFound(key);
            if (key.Type == SimulatedResourceType.Namespaces)
                foreach (var inside in _objects.Keys.Where(item => item.Namespace == key.Name).ToList()) Remove(inside);
            Remove(key);
            return stored.Body;
        }

        void Remove(SimulatedObjectKey item)
        {
            var body = _objects[item].Body;
            _objects.Remove(item);
            body["metadata"]!["resourceVersion"] = Text(++_resourceVersion);
            Publish(new SimulatedWatchEvent(_resourceVersion, "DELETED", item, body.DeepClone().AsObject()));
        }
    }

    /// <summary>
    /// Starts a watch: events after <paramref name="resourceVersion"/> from the history, or (no version, "0") an ADDED event
    /// per current object; then every new event. Atomic with respect to writes, so nothing is missed or doubled.
    /// </summary>
    public (IReadOnlyList<SimulatedWatchEvent> Initial, Channel<SimulatedWatchEvent> Live) Watch(SimulatedResourceType type, string? resourceVersion)
    {
        lock (_lock)
        {
            List<SimulatedWatchEvent> initial;
            if (string.IsNullOrEmpty(resourceVersion) || resourceVersion == "0")
                initial = _objects.Where(pair => pair.Key.Type == type)
                    .Select(pair => new SimulatedWatchEvent(_resourceVersion, "ADDED", pair.Key, pair.Value.Body.DeepClone().AsObject()))
                    .ToList();
            else if (long.TryParse(resourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var since))
                initial = _history.Where(item => item.ResourceVersion > since && item.Key.Type == type).ToList();
            else
                throw new SimulatedApiException(400, "BadRequest", $"resourceVersion '{resourceVersion}' is not a resource version");
            var channel = Channel.CreateUnbounded<SimulatedWatchEvent>(new UnboundedChannelOptions { SingleReader = true });
            _watchers.Add(channel);
            return (initial, channel);
        }
    }

    public void StopWatch(Channel<SimulatedWatchEvent> channel)
    {
        lock (_lock) _watchers.Remove(channel);
        channel.Writer.TryComplete();
    }

    private (JsonObject Object, bool Created) Update(SimulatedObjectKey key, Stored stored, bool created, JsonObject next, string manager,
        string apiVersion, List<Action> raise, bool trackFields = true)
    {
        var ownershipChanged = false;
        if (trackFields)
        {
            // An update takes over every field whose value it changed, silently (only apply reports conflicts).
            var before = SimulatedFieldPaths.Leaves(stored.Body, !key.Type.StatusSubresource);
            var after = SimulatedFieldPaths.Leaves(next, !key.Type.StatusSubresource);
            var changedPaths = after.Where(pair => !before.TryGetValue(pair.Key, out var old) || !JsonNode.DeepEquals(old, pair.Value))
                .Select(pair => pair.Key).ToHashSet(StringComparer.Ordinal);
            var removedPaths = before.Keys.Where(path => !after.ContainsKey(path)).ToList();
            foreach (var (_, entry) in stored.Managers)
            {
                entry.Fields.ExceptWith(changedPaths);
                entry.Fields.ExceptWith(removedPaths);
            }
            if (changedPaths.Count > 0)
            {
                var fields = stored.Managers.TryGetValue(manager, out var mine) && mine.Operation == "Update" ? mine.Fields : [];
                fields.UnionWith(changedPaths);
                stored.Managers[manager] = ("Update", apiVersion, fields);
                ownershipChanged = true;
            }
            foreach (var empty in stored.Managers.Where(pair => pair.Value.Fields.Count == 0).Select(pair => pair.Key).ToList())
                stored.Managers.Remove(empty);
        }
        return Commit(key, stored, created, next, ownershipChanged, raise);
    }

    private (JsonObject Object, bool Created) Commit(SimulatedObjectKey key, Stored stored, bool created, JsonObject next, bool ownershipChanged,
        List<Action> raise)
    {
        foreach (var empty in stored.Managers.Where(pair => pair.Value.Fields.Count == 0).Select(pair => pair.Key).ToList())
            stored.Managers.Remove(empty);
        var old = stored.Body;
        var specChanged = created || !JsonNode.DeepEquals(WithoutMetadataAndStatus(old), WithoutMetadataAndStatus(next));
        var anyChange = created || ownershipChanged || !JsonNode.DeepEquals(old, next);
        if (!anyChange) return (old.DeepClone().AsObject(), false); // a no-op write leaves resourceVersion alone, as the real server does

        var metadata = next["metadata"]!.AsObject();
        var generation = SimulatedJson.Number(old["metadata"]?["generation"]) ?? 0;
        metadata["generation"] = specChanged ? generation + 1 : Math.Max(generation, 1);
        metadata["resourceVersion"] = Text(++_resourceVersion);
        metadata["managedFields"] = ManagedFields(stored);
        stored.Body = next;
        _objects[key] = stored;
        var snapshot = next.DeepClone().AsObject();
        Publish(new SimulatedWatchEvent(_resourceVersion, created ? "ADDED" : "MODIFIED", key, snapshot));
        if (specChanged && GenerationChanged is { } handler)
        {
            var copy = next.DeepClone().AsObject();
            raise.Add(() => handler(key, copy));
        }
        return (next.DeepClone().AsObject(), created);
    }

    private JsonArray ManagedFields(Stored stored)
    {
        var time = _time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var list = new JsonArray();
        foreach (var (manager, entry) in stored.Managers.OrderBy(pair => pair.Key, StringComparer.Ordinal))
            list.Add(new JsonObject
            {
                ["manager"] = manager,
                ["operation"] = entry.Operation,
                ["apiVersion"] = entry.ApiVersion,
                ["time"] = time,
                ["fieldsType"] = "FieldsV1",
                ["fieldsV1"] = SimulatedFieldPaths.FieldsV1(entry.Fields),
            });
        return list;
    }

    private static JsonObject WithoutMetadataAndStatus(JsonObject body)
    {
        var copy = body.DeepClone().AsObject();
        copy.Remove("metadata");
        copy.Remove("status");
        return copy;
    }

    // Server-owned metadata survives a client's write; the rest of metadata is the client's.
    private static JsonObject Metadata(JsonObject live, JsonObject changed)
    {
        var metadata = (changed["metadata"] as JsonObject)?.DeepClone().AsObject() ?? new JsonObject();
        foreach (var key in new[] { "name", "namespace", "uid", "creationTimestamp", "generation", "resourceVersion", "managedFields" })
        {
            metadata.Remove(key);
            if (live["metadata"]?[key] is { } value) metadata[key] = value.DeepClone();
        }
        return metadata;
    }

    private JsonObject NewObject(SimulatedObjectKey key)
    {
        var metadata = new JsonObject
        {
            ["name"] = key.Name,
            ["uid"] = Guid.NewGuid().ToString(),
            ["creationTimestamp"] = _time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        };
        if (key.Namespace is not null) metadata["namespace"] = key.Namespace;
        return new JsonObject { ["apiVersion"] = key.Type.GroupVersion, ["kind"] = key.Type.Kind, ["metadata"] = metadata };
    }

    private void Publish(SimulatedWatchEvent item)
    {
        _history.Add(item);
        foreach (var watcher in _watchers) watcher.Writer.TryWrite(item);
    }

    private Stored? Find(SimulatedObjectKey key) => _objects.GetValueOrDefault(key);

    private void RequireNamespace(SimulatedObjectKey key)
    {
        if (key.Namespace is not null && Find(new SimulatedObjectKey(SimulatedResourceType.Namespaces, null, key.Namespace)) is null)
            throw new SimulatedApiException(404, "NotFound", $"namespaces \"{key.Namespace}\" not found",
                new JsonObject { ["name"] = key.Namespace, ["kind"] = "namespaces" });
    }

    private static void CheckIdentity(SimulatedObjectKey key, JsonObject body, bool typeRequired = true)
    {
        // Create and replace take the type from the URL when the body omits it (as client-go's typed clients send it); apply requires it.
        if (!typeRequired)
        {
            body["apiVersion"] ??= key.Type.GroupVersion;
            body["kind"] ??= key.Type.Kind;
        }
        var apiVersion = body["apiVersion"]?.GetValue<string>();
        var kind = body["kind"]?.GetValue<string>();
        if (apiVersion != key.Type.GroupVersion || kind != key.Type.Kind)
            throw new SimulatedApiException(400, "BadRequest",
                $"the body's apiVersion/kind '{apiVersion}/{kind}' does not match {key.Type.GroupVersion}/{key.Type.Kind} of the URL");
        if (body["metadata"]?["name"]?.GetValue<string>() is { } name && name != key.Name)
            throw new SimulatedApiException(400, "BadRequest", $"the name of the object ({name}) does not match the name on the URL ({key.Name})");
        if (body["metadata"]?["namespace"]?.GetValue<string>() is { } ns && ns != key.Namespace)
            throw new SimulatedApiException(400, "BadRequest", $"the namespace of the object ({ns}) does not match the namespace on the request ({key.Namespace})");
    }

    private static SimulatedApiException NotFound(SimulatedObjectKey key) =>
        new(404, "NotFound", $"{key.Type.QualifiedName} \"{key.Name}\" not found",
            new JsonObject { ["name"] = key.Name, ["group"] = key.Type.Group, ["kind"] = key.Type.Plural });

    private static SimulatedApiException Conflict(List<(string Path, string Manager, string ApiVersion)> conflicts)
    {
        var causes = new JsonArray();
        foreach (var (path, manager, apiVersion) in conflicts)
            causes.Add(new JsonObject
            {
                ["reason"] = "FieldManagerConflict",
                ["message"] = $"conflict with \"{manager}\" using {apiVersion}",
                ["field"] = SimulatedFieldPaths.Display(path),
            });
        var message = $"Apply failed with {conflicts.Count} conflict{(conflicts.Count == 1 ? "" : "s")}: " +
                      string.Join("; ", conflicts.Select(item => $"conflict with \"{item.Manager}\" using {item.ApiVersion}: {SimulatedFieldPaths.Display(item.Path)}"));
        return new SimulatedApiException(409, "Conflict", message, new JsonObject { ["causes"] = causes });
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
