using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;

namespace Slipway.Delivery.Manifests;

/// <summary>
/// Changes feature flags in an environment's ConfigMap (Microsoft.FeatureManagement schema,
/// <c>feature_management.feature_flags</c> in a JSON data key), records them in the annotation
/// <see cref="SlipwayMetadata.FlagOverridesAnnotation"/>, and carries them over when the environment is rendered again.
/// <para>
/// A value replaces the flag's whole on/off state, so the result depends only on the flag as deploy/ declares it and the
/// value, never on earlier changes: <c>enabled</c>, <c>conditions</c> and <c>allocation.percentile</c> are set from the
/// value; everything else (variants, <c>default_when_*</c>, <c>seed</c>) stays as deploy/ declares it.
/// </para>
/// </summary>
public static class FlagChange
{
    public const string TargetingFilter = "Microsoft.Targeting";

    /// <summary>
    /// Sets <paramref name="flagId"/> to <paramref name="value"/> in a configmap.yaml (as the config repo holds it) and
    /// returns the new file: data, the overrides annotation and <see cref="SlipwayMetadata.ConfigHashAnnotation"/> updated.
    /// </summary>
    /// <param name="source">Names the file in errors, e.g. environments/production/configmap.yaml.</param>
    /// <exception cref="ManifestException">Unknown flag or variant, or a value that does not fit the flag; names the known ones.</exception>
    public static string Set(string configMapYaml, string source, string flagId, FlagValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var configMap = ParseConfigMap(configMapYaml, source);
        var overrides = ReadOverrides(configMap, source);
        Apply(configMap, source, flagId, value);
        overrides[flagId] = value.ToString();
        Seal(configMap, overrides);
        return ManifestYaml.Serialize(configMap);
    }

    /// <summary>
    /// Hands <paramref name="flagId"/> back to deploy/: the flag becomes as <paramref name="declaredConfigMapYaml"/> (a fresh
    /// render of deploy/ for the environment) has it, and its recorded change is removed. Returns the new configmap.yaml.
    /// </summary>
    /// <exception cref="ManifestException">The flag is declared in neither file (names the declared ones).</exception>
    public static string Reset(string configMapYaml, string source, string flagId, string declaredConfigMapYaml)
    {
        var configMap = ParseConfigMap(configMapYaml, source);
        var declared = ParseConfigMap(declaredConfigMapYaml, "deploy/");
        var overrides = ReadOverrides(configMap, source);
        var target = FlagDocuments(configMap).Where(document => document.Flags.ContainsKey(flagId)).ToList();
        var origin = FlagDocuments(declared).Where(document => document.Flags.ContainsKey(flagId)).ToList();
        if (target.Count != 1 || origin.Count != 1 || target[0].Key != origin[0].Key)
            throw new ManifestException($"{source}: no feature flag '{flagId}' declared both here and in deploy/ " +
                                        $"(here: {string.Join(", ", DeclaredFlags(configMap))}; deploy/: {string.Join(", ", DeclaredFlags(declared))}); fix --flag");
        var flags = (JsonArray)target[0].Root["feature_management"]!["feature_flags"]!;
        flags[flags.IndexOf(target[0].Flags[flagId])] = origin[0].Flags[flagId].DeepClone();
        configMap.Data[target[0].Key] = ManifestRenderer.FormatJson(target[0].Root);
        overrides.Remove(flagId);
        Seal(configMap, overrides);
        return ManifestYaml.Serialize(configMap);
    }

    /// <summary>
    /// Re-applies the flag changes recorded on the environment's current ConfigMap (<paramref name="currentConfigMapYaml"/>,
    /// null when the environment has none yet) to a fresh render from deploy/, so a later deploy keeps them.
    /// A change whose flag or variant deploy/ no longer declares is dropped with a warning (deploy/ removed it).
    /// </summary>
    /// <exception cref="ManifestException">The recorded annotation is malformed (names the file and the fix).</exception>
    public static RenderedEnvironment CarryOver(RenderedEnvironment rendered, string? currentConfigMapYaml, string source, Serilog.ILogger log)
    {
        ArgumentNullException.ThrowIfNull(rendered);
        ArgumentNullException.ThrowIfNull(log);
        if (currentConfigMapYaml is null) return rendered;
        var overrides = ReadOverrides(ParseConfigMap(currentConfigMapYaml, source), source);
        if (overrides.Count == 0) return rendered;

        var configMap = k8s.KubernetesYaml.Deserialize<V1ConfigMap>(rendered.Files[SlipwayMetadata.ConfigMapFile]);
        var kept = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (flagId, text) in overrides)
        {
            var value = FlagValue.Parse(flagId, text);
            try
            {
                Apply(configMap, $"deploy/ for {rendered.Environment}", flagId, value);
                kept[flagId] = value.ToString();
            }
            catch (ManifestException exception)
            {
                log.Warning("Flag change {Flag:l}={Value:l} of {Environment:l} no longer fits deploy/ and is dropped: {Reason:l}",
                    flagId, text, rendered.Environment, exception.Message);
            }
        }
        Seal(configMap, kept);
        if (kept.Count > 0)
            log.Information("Carried over flag changes of {Environment:l}: {Flags:l}", rendered.Environment,
                string.Join(", ", kept.Select(pair => $"{pair.Key}={pair.Value}")));

        var files = new SortedDictionary<string, string>(rendered.Files.ToDictionary(), StringComparer.Ordinal)
        {
            [SlipwayMetadata.ConfigMapFile] = ManifestYaml.Serialize(configMap),
        };
        var manifests = EnvironmentManifests.Parse(rendered.Environment, files);
        ManifestValidator.ThrowIfInvalid(manifests);
        return rendered with { Files = files, Manifests = manifests, ConfigHash = ConfigHash.Compute(manifests.ConfigData) };
    }

    /// <summary>The flag changes recorded on a ConfigMap (flag id → canonical value), empty when none.</summary>
    /// <exception cref="ManifestException">The annotation is not a JSON object of strings.</exception>
    public static SortedDictionary<string, string> ReadOverrides(V1ConfigMap configMap, string source)
    {
        ArgumentNullException.ThrowIfNull(configMap);
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (configMap.Metadata?.Annotations?.TryGetValue(SlipwayMetadata.FlagOverridesAnnotation, out var json) != true) return result;
        try
        {
            if (JsonNode.Parse(json!) is JsonObject recorded)
            {
                foreach (var (flagId, value) in recorded)
                    result[flagId] = value?.GetValueKind() == JsonValueKind.String
                        ? value.GetValue<string>()
                        : throw new FormatException($"the value of '{flagId}' is not a string");
                return result;
            }
        }
        catch (Exception exception) when (exception is JsonException or FormatException)
        {
            throw new ManifestException($"{source}: annotation {SlipwayMetadata.FlagOverridesAnnotation} is malformed ({exception.Message}); " +
                                        "it must be a JSON object of flag id to value — fix it or set the flags again with SetFlag");
        }
        throw new ManifestException($"{source}: annotation {SlipwayMetadata.FlagOverridesAnnotation} is not a JSON object; " +
                                    "it must map flag ids to values — fix it or set the flags again with SetFlag");
    }

    /// <summary>
    /// Every declared flag with its current value in <see cref="FlagValue"/>'s words (on, off, 30%, Formal=70,Casual=30): the
    /// reading of what <see cref="Set"/> writes, for listings such as the agent's dashboard.
    /// </summary>
    public static IReadOnlyList<(string Flag, string Value)> CurrentValues(V1ConfigMap configMap)
    {
        ArgumentNullException.ThrowIfNull(configMap);
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var document in FlagDocuments(configMap))
            foreach (var (flagId, flag) in document.Flags)
                values[flagId] = ReadableValueOf(flag);
        return values.Select(pair => (pair.Key, pair.Value)).ToList();
    }

    private static string ReadableValueOf(JsonObject flag)
    {
        try
        {
            return ValueOf(flag).ToString();
        }
        catch (Exception exception) when (exception is ManifestException or InvalidOperationException or FormatException)
        {
            // Written by hand rather than by SetFlag: say so rather than guess.
            return "unrecognised (set it with SetFlag)";
        }
    }

    private static FlagValue ValueOf(JsonObject flag)
    {
        if (flag["enabled"] is not JsonValue enabled || enabled.GetValueKind() != JsonValueKind.True) return FlagValue.Off;
        var percentile = ((flag["allocation"] as JsonObject)?["percentile"] as JsonArray)?.OfType<JsonObject>()
            .Select(range => $"{range["variant"]?.GetValue<string>()}={range["to"]?.GetValue<int>() - range["from"]?.GetValue<int>()}").ToList();
        if (percentile is { Count: > 0 }) return FlagValue.Parse(flag["id"]?.GetValue<string>() ?? "flag", string.Join(',', percentile));
        var percent = ((flag["conditions"] as JsonObject)?["client_filters"] as JsonArray)?.OfType<JsonObject>()
            .Where(filter => filter["name"]?.GetValue<string>() == TargetingFilter)
            .Select(filter => ((filter["parameters"] as JsonObject)?["Audience"] as JsonObject)?["DefaultRolloutPercentage"]?.GetValue<int>())
            .FirstOrDefault();
        return percent is { } share ? FlagValue.Parse(flag["id"]?.GetValue<string>() ?? "flag", $"{share}%") : FlagValue.On;
    }

    /// <summary>The flag ids declared in a ConfigMap's JSON data (for messages and listings).</summary>
    public static IReadOnlyList<string> DeclaredFlags(V1ConfigMap configMap) =>
        FlagDocuments(configMap).SelectMany(document => document.Flags.Keys).Distinct().Order(StringComparer.Ordinal).ToList();

    private static void Apply(V1ConfigMap configMap, string source, string flagId, FlagValue value)
    {
        var documents = FlagDocuments(configMap);
        if (documents.Count == 0)
            throw new ManifestException($"{source}: the ConfigMap has no feature flags (no JSON data key with feature_management.feature_flags); " +
                                        "declare the flag in deploy/base/configmap.yaml");
        var holders = documents.Where(document => document.Flags.ContainsKey(flagId)).ToList();
        if (holders.Count == 0)
            throw new ManifestException($"{source}: no feature flag '{flagId}' (declared flags: {string.Join(", ", DeclaredFlags(configMap))}); " +
                                        "fix --flag or declare the flag in deploy/base/configmap.yaml");
        if (holders.Count > 1)
            throw new ManifestException($"{source}: feature flag '{flagId}' is declared in several data keys ({string.Join(", ", holders.Select(h => h.Key))}); " +
                                        "declare it once");
        var document = holders[0];
        var flag = document.Flags[flagId];
        if (value.Kind == FlagValueKind.Variants)
        {
            var known = (flag["variants"] as JsonArray)?.OfType<JsonObject>()
                .Select(variant => variant["name"] is JsonValue name && name.GetValueKind() == JsonValueKind.String ? name.GetValue<string>() : null)
                .OfType<string>().ToList() ?? [];
            if (known.Count == 0)
                throw new ManifestException($"{source}: feature flag '{flagId}' has no variants, so '{value}' cannot split users over them; " +
                                            "use on, off or a percentage (e.g. 30%)");
            var unknown = value.Variants.Select(share => share.Variant).Where(name => !known.Contains(name)).ToList();
            if (unknown.Count > 0)
                throw new ManifestException($"{source}: feature flag '{flagId}' has no variant {string.Join(", ", unknown.Select(name => $"'{name}'"))} " +
                                            $"(variants: {string.Join(", ", known)}); fix --value");
        }

        flag["enabled"] = value.Kind != FlagValueKind.Off;
        flag.Remove("conditions");
        if (value.Kind == FlagValueKind.Percentage)
        {
            // Targeting hashes the user id with the flag id: the same users stay in as the percentage grows.
            flag["conditions"] = new JsonObject
            {
                ["client_filters"] = new JsonArray(new JsonObject
                {
                    ["name"] = TargetingFilter,
                    ["parameters"] = new JsonObject { ["Audience"] = new JsonObject { ["DefaultRolloutPercentage"] = value.Percent } },
                }),
            };
        }
        var allocation = flag["allocation"] as JsonObject;
        allocation?.Remove("percentile");
        if (value.Kind == FlagValueKind.Variants)
        {
            allocation ??= new JsonObject();
            var ranges = new JsonArray();
            var from = 0;
            foreach (var share in value.Variants.Where(share => share.Percent > 0))
            {
                ranges.Add(new JsonObject { ["variant"] = share.Variant, ["from"] = from, ["to"] = from + share.Percent });
                from += share.Percent;
            }
            allocation["percentile"] = ranges;
        }
        if (allocation is not null)
        {
            flag.Remove("allocation");
            if (allocation.Count > 0) flag["allocation"] = Ordered(allocation, AllocationKeyOrder);
        }
        // A fixed key order makes the bytes depend only on the content, whatever changes came before.
        var ordered = Ordered(flag, FlagKeyOrder);
        var flags = (JsonArray)document.Root["feature_management"]!["feature_flags"]!;
        flags[flags.IndexOf(flag)] = ordered;
        configMap.Data[document.Key] = ManifestRenderer.FormatJson(document.Root);
    }

    private static readonly string[] FlagKeyOrder = ["id", "description", "display_name", "enabled", "conditions", "variants", "allocation", "telemetry"];
    private static readonly string[] AllocationKeyOrder = ["default_when_disabled", "default_when_enabled", "user", "group", "percentile", "seed"];

    private static JsonObject Ordered(JsonObject source, string[] order)
    {
        var result = new JsonObject();
        var names = source.Select(pair => pair.Key)
            .OrderBy(name => Array.IndexOf(order, name) is var index and >= 0 ? index : order.Length)
            .ThenBy(name => name, StringComparer.Ordinal)
            .ToList();
        foreach (var name in names)
        {
            var node = source[name];
            source.Remove(name);
            result[name] = node;
        }
        return result;
    }

    private sealed record FlagDocument(string Key, JsonObject Root, Dictionary<string, JsonObject> Flags);

    /// <summary>The JSON data keys that declare feature flags, parsed (the flag objects are live nodes of the root).</summary>
    private static List<FlagDocument> FlagDocuments(V1ConfigMap configMap)
    {
        var documents = new List<FlagDocument>();
        foreach (var (key, text) in (configMap.Data ?? new Dictionary<string, string>()).OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            JsonNode? root;
            try { root = JsonNode.Parse(text); }
            catch (JsonException) { continue; }   // not JSON: not a flags file (the validator checks *.json keys)
            if (root is JsonObject config && (config["feature_management"] as JsonObject)?["feature_flags"] is JsonArray flags)
            {
                var byId = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
                foreach (var flag in flags.OfType<JsonObject>())
                    if (flag["id"] is JsonValue id && id.GetValueKind() == JsonValueKind.String)
                        byId.TryAdd(id.GetValue<string>(), flag);
                documents.Add(new FlagDocument(key, config, byId));
            }
        }
        return documents;
    }

    /// <summary>Records the overrides (none: no annotation) and the config hash of the data as it now is.</summary>
    private static void Seal(V1ConfigMap configMap, IReadOnlyDictionary<string, string> overrides)
    {
        var annotations = (configMap.Metadata ??= new V1ObjectMeta()).Annotations ??= new Dictionary<string, string>();
        if (overrides.Count == 0) annotations.Remove(SlipwayMetadata.FlagOverridesAnnotation);
        else annotations[SlipwayMetadata.FlagOverridesAnnotation] =
            JsonSerializer.Serialize(new SortedDictionary<string, string>(overrides.ToDictionary(), StringComparer.Ordinal), CompactJson);
        annotations[SlipwayMetadata.ConfigHashAnnotation] =
            ConfigHash.Compute(new SortedDictionary<string, string>(configMap.Data ?? new Dictionary<string, string>(), StringComparer.Ordinal));
    }

    private static readonly JsonSerializerOptions CompactJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static V1ConfigMap ParseConfigMap(string yaml, string source)
    {
        try
        {
            return k8s.KubernetesYaml.Deserialize<V1ConfigMap>(yaml)
                   ?? throw new ManifestException($"{source}: empty; expected the environment's ConfigMap");
        }
        catch (YamlDotNet.Core.YamlException exception)
        {
            throw new ManifestException($"{source} (line {exception.Start.Line}): not a valid ConfigMap ({exception.Message}); " +
                                        "fix the file in the config repo or deploy the environment again");
        }
    }
}
