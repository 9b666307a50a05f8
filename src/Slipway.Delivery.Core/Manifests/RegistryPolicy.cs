using Slipway.Delivery.Oci;

namespace Slipway.Delivery.Manifests;

/// <summary>
/// Which registries an environment's images may come from: entries are host:port (127.0.0.1:5000) or host:* (any
/// port of that host). An image from elsewhere is refused before anything pulls it.
/// </summary>
public static class RegistryPolicy
{
    public static IReadOnlyList<string> ParseList(string commaSeparated) =>
        commaSeparated.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static bool IsValidPattern(string pattern) =>
        pattern.Length > 0 && !pattern.Contains('/', StringComparison.Ordinal) && !pattern.Contains(' ', StringComparison.Ordinal);

    public static bool Allows(IReadOnlyList<string> allowed, string registry) =>
        allowed.Any(pattern => pattern.EndsWith(":*", StringComparison.Ordinal)
            ? registry.StartsWith(pattern[..^1], StringComparison.OrdinalIgnoreCase)
            : registry.Equals(pattern, StringComparison.OrdinalIgnoreCase));

    /// <summary>Why <paramref name="image"/> is refused, or null when its registry is allowed.</summary>
    public static string? Refuses(IReadOnlyList<string> allowed, string image)
    {
        string registry;
        try
        {
            registry = ImageReference.Parse(image).Registry;
        }
        catch (FormatException)
        {
            return $"image '{image}' is not a valid image reference";
        }
        return Allows(allowed, registry)
            ? null
            : $"image '{image}' comes from registry '{registry}', which is not allowed here (allowed: {string.Join(", ", allowed)})";
    }
}
