namespace Slipway.Delivery.Manifests;

internal static class DictionaryExtensions
{
    /// <summary>The value for <paramref name="key"/> or null, also when the map itself is absent (Kubernetes models leave maps null).</summary>
    public static string? Get(this IDictionary<string, string>? map, string key) =>
        map is not null && map.TryGetValue(key, out var value) ? value : null;
}
