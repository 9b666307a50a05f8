using System.Text.Json;

namespace Slipway.Delivery.SupplyChain;

/// <summary>
/// The NuGet packages a published .NET app carries, read from its <c>*.deps.json</c> ("libraries" of type package,
/// and the runtime packs a self-contained publish embeds, named as the NuGet packages they come from).
/// </summary>
public static class DotnetDependencies
{
    private const string RuntimePackPrefix = "runtimepack.";

    public static async Task<IReadOnlyList<SbomComponent>> ReadAsync(string depsJsonPath, CancellationToken ct = default) =>
        Parse(await File.ReadAllBytesAsync(depsJsonPath, ct));

    /// <summary>The deps.json of a publish directory (the one file matching *.deps.json).</summary>
    public static string FindDepsJson(string publishDirectory)
    {
        var found = Directory.GetFiles(publishDirectory, "*.deps.json");
        return found.Length == 1
            ? found[0]
            : throw new FileNotFoundException($"{publishDirectory} holds {found.Length} *.deps.json files; expected the published app's one.");
    }

    public static IReadOnlyList<SbomComponent> Parse(byte[] depsJson)
    {
        using var document = JsonDocument.Parse(depsJson);
        if (!document.RootElement.TryGetProperty("libraries", out var libraries) || libraries.ValueKind != JsonValueKind.Object)
            throw new FormatException("the deps.json has no 'libraries' object.");
        var components = new List<SbomComponent>();
        foreach (var library in libraries.EnumerateObject())
        {
            var type = library.Value.TryGetProperty("type", out var value) ? value.GetString() : null;
            if (type is not ("package" or "runtimepack")) continue;   // "project" entries are the app and its own projects
            var slash = library.Name.IndexOf('/');
            if (slash <= 0) continue;
            var name = library.Name[..slash];
            if (name.StartsWith(RuntimePackPrefix, StringComparison.Ordinal)) name = name[RuntimePackPrefix.Length..];
            components.Add(SbomComponent.NuGet(name, library.Name[(slash + 1)..]));
        }
        return components.DistinctBy(component => component.Purl).OrderBy(component => component.Purl, StringComparer.Ordinal).ToList();
    }
}
