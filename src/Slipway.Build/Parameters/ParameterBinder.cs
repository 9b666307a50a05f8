using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Build;

/// <summary>The result of binding: engine settings found in parameters files and the secret values to mask.</summary>
internal sealed record BoundParameters(IReadOnlyDictionary<string, JsonNode?> EngineSettings, IReadOnlyList<string> SecretValues);

/// <summary>
/// Fills [Parameter] members from, highest first: --kebab-case, UPPER_SNAKE env var, exact-name env var,
/// .nuke/parameters.NAME.json per --profile (later profiles win), .nuke/parameters.json; else the initializer stays.
/// </summary>
internal static class ParameterBinder
{
    /// <summary>Keys of parameters files that set engine options rather than parameters.</summary>
    private static readonly string[] EngineKeys = ["Target", "Skip", "Verbosity", "Continue", "Parallel"];

    public static BoundParameters Bind(
        SlipwayBuild build,
        IReadOnlyList<ParameterMember> parameters,
        CommandLine commandLine,
        IReadOnlyDictionary<string, string?> environment,
        AbsolutePath root,
        IReadOnlyList<string> profiles)
    {
        var layers = LoadLayers(root, profiles, parameters);
        var engineSettings = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (_, layer) in layers)
        {
            foreach (var key in EngineKeys)
            {
                if (TryGet(layer, key, out var node))
                {
                    engineSettings[CommandLine.MatchKey(key)] = node;
                }
            }
        }

        var secrets = new List<string>();
        foreach (var parameter in parameters)
        {
            var value = Resolve(parameter, commandLine, environment, layers, root, out var found);
            if (found)
            {
                parameter.SetValue(build, value);
            }
            if (parameter.IsSecret)
            {
                secrets.AddRange(SecretTexts(parameter.GetValue(build)));
            }
        }
        return new BoundParameters(engineSettings, secrets);
    }

    private static object? Resolve(
        ParameterMember parameter,
        CommandLine commandLine,
        IReadOnlyDictionary<string, string?> environment,
        IReadOnlyList<(string File, JsonObject Json)> layers,
        AbsolutePath root,
        out bool found)
    {
        found = true;
        if (commandLine.Values(parameter.OptionName) is { } cliValues)
        {
            return ParameterConverter.FromStrings(parameter, cliValues, $"the command line (--{parameter.OptionName})", root);
        }
        foreach (var name in new[] { parameter.EnvironmentName, parameter.Name }.Distinct())
        {
            if (environment.TryGetValue(name, out var text) && !string.IsNullOrEmpty(text))
            {
                return ParameterConverter.FromStrings(parameter, [text], $"environment variable {name}", root);
            }
        }
        for (var i = layers.Count - 1; i >= 0; i--)
        {
            if (TryGet(layers[i].Json, parameter.Name, out var node))
            {
                return ParameterConverter.FromJson(parameter, node, layers[i].File, root);
            }
        }
        found = false;
        return null;
    }

    private static List<(string File, JsonObject Json)> LoadLayers(AbsolutePath root, IReadOnlyList<string> profiles, IReadOnlyList<ParameterMember> parameters)
    {
        var layers = new List<(string, JsonObject)>();
        var nuke = root / ".nuke";
        var baseFile = nuke / "parameters.json";
        if (baseFile.FileExists())
        {
            layers.Add((".nuke/parameters.json", Load(baseFile, ".nuke/parameters.json", parameters)));
        }
        foreach (var profile in profiles)
        {
            var file = nuke / $"parameters.{profile}.json";
            var shown = $".nuke/parameters.{profile}.json";
            if (!file.FileExists())
            {
                var known = nuke.GlobFiles("parameters.*.json", recursive: false).Select(f => f.Name["parameters.".Length..^".json".Length]).ToList();
                throw new BuildConfigurationException(
                    $"Profile '{profile}' has no file {shown}. " + (known.Count > 0 ? $"Known profiles: {string.Join(", ", known)}." : "Create the file to define the profile."));
            }
            layers.Add((shown, Load(file, shown, parameters)));
        }
        return layers;
    }

    private static JsonObject Load(AbsolutePath file, string shown, IReadOnlyList<ParameterMember> parameters)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(file.ReadAllText(), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException exception)
        {
            throw new BuildConfigurationException($"{shown} is not valid JSON: {exception.Message}");
        }
        if (node is not JsonObject json)
        {
            throw new BuildConfigurationException($"{shown} must hold a JSON object of parameter names and values.");
        }

        var known = parameters.Select(p => p.Name).Concat(EngineKeys).ToList();
        foreach (var key in json.Select(p => p.Key).Where(k => !k.StartsWith('$')))
        {
            if (!known.Any(k => CommandLine.MatchKey(k) == CommandLine.MatchKey(key)))
            {
                var closest = CommandLine.Closest(key, known);
                throw new BuildConfigurationException(
                    $"{shown} sets '{key}', which is not a parameter of this build." + (closest is null ? "" : $" Did you mean '{closest}'?"));
            }
        }
        return json;
    }

    private static bool TryGet(JsonObject json, string name, out JsonNode? node)
    {
        foreach (var (key, value) in json)
        {
            if (CommandLine.MatchKey(key) == CommandLine.MatchKey(name))
            {
                node = value;
                return true;
            }
        }
        node = null;
        return false;
    }

    private static IEnumerable<string> SecretTexts(object? value) => value switch
    {
        null => [],
        string text => [text],
        string[] texts => texts,
        _ => [value.ToString() ?? ""],
    };
}
