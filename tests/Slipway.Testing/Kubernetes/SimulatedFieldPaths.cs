using System.Text.Json.Nodes;

namespace Slipway.Testing.Kubernetes;

/// <summary>
/// Field paths for the SIMULATION's managedFields. Simplified but honest: every map is descended into, every list is one
/// atomic field (the real API server merges some lists by key, e.g. containers by name; the simulation does not).
/// A path is a key list; shown the way the API server names fields in conflict causes: ".spec.replicas".
/// </summary>
internal static class SimulatedFieldPaths
{
    private const char Separator = '\u001f';

    // Server-owned metadata, never a field a manager owns.
    private static readonly HashSet<string> ServerMetadata =
        ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "deletionTimestamp"];

    /// <summary>The leaves a body sets (path key → value), without apiVersion/kind, server metadata and (optionally) status.</summary>
    public static Dictionary<string, JsonNode?> Leaves(JsonObject body, bool includeStatus)
    {
        var leaves = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (key, value) in body)
        {
            if (key is "apiVersion" or "kind") continue;
            if (key == "status" && !includeStatus) continue;
            if (key == "metadata" && value is JsonObject metadata)
            {
                foreach (var (metaKey, metaValue) in metadata)
                    if (!ServerMetadata.Contains(metaKey)) Collect([key, metaKey], metaValue, leaves);
                continue;
            }
            Collect([key], value, leaves);
        }
        return leaves;
    }

    private static void Collect(List<string> path, JsonNode? value, Dictionary<string, JsonNode?> leaves)
    {
        if (value is JsonObject map && map.Count > 0)
        {
            foreach (var (key, child) in map) Collect([.. path, key], child, leaves);
            return;
        }
        leaves[string.Join(Separator, path)] = value;
    }

    public static string Display(string path) => "." + path.Replace(Separator, '.');

    /// <summary>The FieldsV1 form the API server reports: {"f:spec":{"f:replicas":{}}}.</summary>
    public static JsonObject FieldsV1(IEnumerable<string> paths)
    {
        var root = new JsonObject();
        foreach (var path in paths.Order(StringComparer.Ordinal))
        {
            var node = root;
            foreach (var key in path.Split(Separator))
            {
                var name = "f:" + key;
                if (node[name] is not JsonObject child) node[name] = child = new JsonObject();
                node = child;
            }
        }
        return root;
    }

    public static JsonNode? Get(JsonObject root, string path)
    {
        JsonNode? node = root;
        foreach (var key in path.Split(Separator))
        {
            if (node is not JsonObject map || !map.TryGetPropertyValue(key, out node)) return null;
        }
        return node;
    }

    public static bool Has(JsonObject root, string path)
    {
        JsonNode? node = root;
        foreach (var key in path.Split(Separator))
        {
            if (node is not JsonObject map || !map.TryGetPropertyValue(key, out node)) return false;
        }
        return true;
    }

    public static void Set(JsonObject root, string path, JsonNode? value)
    {
        var keys = path.Split(Separator);
        var node = root;
        foreach (var key in keys[..^1])
        {
            if (node[key] is not JsonObject child) node[key] = child = new JsonObject();
            node = child;
        }
        node[keys[^1]] = value?.DeepClone();
    }

    /// <summary>Removes a field, and the maps it leaves empty.</summary>
    public static void Remove(JsonObject root, string path)
    {
        var keys = path.Split(Separator);
        var chain = new List<JsonObject> { root };
        foreach (var key in keys[..^1])
        {
            if (chain[^1][key] is not JsonObject child) return;
            chain.Add(child);
        }
        chain[^1].Remove(keys[^1]);
        for (var index = chain.Count - 1; index > 0 && chain[index].Count == 0; index--) chain[index - 1].Remove(keys[index - 1]);
    }
}
