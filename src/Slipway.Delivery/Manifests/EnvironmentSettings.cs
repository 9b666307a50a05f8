using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Slipway.Delivery.Manifests;

/// <summary>
/// deploy/environments/&lt;env&gt;.yaml: what differs between environments. The schema is documented in deploy/README.md;
/// unknown fields are errors so a typo never silently deploys the defaults.
/// </summary>
public sealed class EnvironmentSettings
{
    /// <summary>Replicas of the Deployment (0 or more).</summary>
    public int Replicas { get; set; } = 1;

    /// <summary>The environment's stable 127.0.0.1 port on the single-machine backend (Service annotation slipway.dev/host-port).</summary>
    public int HostPort { get; set; }

    public StrategySettings Strategy { get; set; } = new();

    public ImageSettings Image { get; set; } = new();

    /// <summary>The ConfigMap data key holding the JSON settings that <see cref="Flags"/> and <see cref="Settings"/> change.</summary>
    public string ConfigFile { get; set; } = "appsettings.json";

    /// <summary>Feature flag overrides by flag id (Microsoft.FeatureManagement schema: feature_management.feature_flags).</summary>
    public Dictionary<string, FlagOverride> Flags { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Settings merged into the config file (objects merge key by key; other values replace).</summary>
    public JsonObject? Settings { get; set; }

    public sealed class StrategySettings
    {
        /// <summary>rolling | blue-green | canary</summary>
        public string Type { get; set; } = "rolling";

        public CanarySettings? Canary { get; set; }
    }

    public sealed class CanarySettings
    {
        public List<CanaryStepSettings> Steps { get; set; } = [];
    }

    public sealed class CanaryStepSettings
    {
        public int Weight { get; set; }
        public int PauseSeconds { get; set; }
    }

    public sealed class ImageSettings
    {
        /// <summary>The container whose image is pinned to the delivered digest; default: the only container.</summary>
        public string? Container { get; set; }

        /// <summary>An environment variable set to the image digest (so the service can report what it runs); none when empty.</summary>
        public string? DigestEnv { get; set; }
    }

    public sealed class FlagOverride
    {
        public bool? Enabled { get; set; }

        /// <summary>The variant served when the flag is enabled (allocation.default_when_enabled).</summary>
        public string? DefaultVariant { get; set; }
    }

    /// <summary>Reads and checks a settings file.</summary>
    /// <exception cref="ManifestException">The file is missing, not valid YAML, has unknown fields or invalid values.</exception>
    public static EnvironmentSettings Load(string path)
    {
        if (!File.Exists(path))
        {
            var folder = Path.GetDirectoryName(path) ?? ".";
            var known = Directory.Exists(folder)
                ? string.Join(", ", Directory.EnumerateFiles(folder, "*.yaml").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal))
                : "";
            throw new ManifestException($"{path}: no settings for this environment; create it (schema in deploy/README.md)" +
                                        (known.Length > 0 ? $" or use one of: {known}" : ""));
        }
        return Parse(File.ReadAllText(path), path);
    }

    public static EnvironmentSettings Parse(string yaml, string source)
    {
        var deserializer = new DeserializerBuilder()
            .WithNamingConvention(CamelCaseNamingConvention.Instance)
            .WithTypeConverter(new JsonObjectYamlConverter())
            .WithDuplicateKeyChecking()
            .Build();
        EnvironmentSettings? settings;
        try
        {
            settings = deserializer.Deserialize<EnvironmentSettings?>(yaml);
        }
        catch (YamlException exception)
        {
            var reason = (exception.InnerException?.Message ?? exception.Message).Replace(Environment.NewLine, " ");
            throw new ManifestException($"{source} (line {exception.Start.Line}, column {exception.Start.Column}): {reason}; " +
                                        "fix it (fields: replicas, hostPort, strategy, image, configFile, flags, settings — see deploy/README.md)");
        }
        settings ??= new EnvironmentSettings();
        settings.Check(source);
        return settings;
    }

    private void Check(string source)
    {
        var problems = new List<string>();
        if (Replicas < 0) problems.Add($"{source}: replicas is {Replicas}; use 0 or more");
        if (HostPort is < 1 or > 65535) problems.Add($"{source}: hostPort is {HostPort}; set the environment's stable port, 1-65535 (e.g. 8081)");
        if (!SlipwayMetadata.Strategies.Contains(Strategy.Type))
            problems.Add($"{source}: strategy.type is '{Strategy.Type}'; use one of {string.Join(", ", SlipwayMetadata.Strategies)}");
        if (Strategy.Type == "canary" && !CanaryStep.Check(CanarySteps, out var problem))
            problems.Add($"{source}: strategy.canary.steps: {problem}");
        if (Strategy.Type != "canary" && Strategy.Canary is not null)
            problems.Add($"{source}: strategy.canary is set but strategy.type is '{Strategy.Type}'; remove it or use type: canary");
        if (string.IsNullOrWhiteSpace(ConfigFile)) problems.Add($"{source}: configFile is empty; name the ConfigMap data key with the settings");
        if (problems.Count > 0) throw new ManifestException(problems);
    }

    public IReadOnlyList<CanaryStep> CanarySteps =>
        Strategy.Canary?.Steps.Select(step => new CanaryStep(step.Weight, step.PauseSeconds)).ToList() ?? [];

    /// <summary>Reads a YAML subtree as JSON: plain scalars become booleans, numbers or null where they read as such; quoted ones stay strings.</summary>
    private sealed class JsonObjectYamlConverter : IYamlTypeConverter
    {
        public bool Accepts(Type type) => type == typeof(JsonObject);

        public object? ReadYaml(IParser parser, Type type, ObjectDeserializer rootDeserializer) => Read(parser) switch
        {
            JsonObject value => value,
            null => null,
            _ => throw new YamlException(parser.Current?.Start ?? Mark.Empty, parser.Current?.End ?? Mark.Empty,
                "settings must be a mapping of setting names to values"),
        };

        private static JsonNode? Read(IParser parser)
        {
            if (parser.TryConsume<MappingStart>(out _))
            {
                var result = new JsonObject();
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    var key = parser.Consume<Scalar>();
                    if (result.ContainsKey(key.Value))
                        throw new YamlException(key.Start, key.End, $"duplicate key '{key.Value}'");
                    result[key.Value] = Read(parser);
                }
                return result;
            }
            if (parser.TryConsume<SequenceStart>(out _))
            {
                var result = new JsonArray();
                while (!parser.TryConsume<SequenceEnd>(out _)) result.Add(Read(parser));
                return result;
            }
            var scalar = parser.Consume<Scalar>();
            if (scalar.Style != ScalarStyle.Plain) return JsonValue.Create(scalar.Value);
            return scalar.Value switch
            {
                "" or "~" or "null" or "Null" or "NULL" => null,
                "true" or "True" or "TRUE" => JsonValue.Create(true),
                "false" or "False" or "FALSE" => JsonValue.Create(false),
                var text when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) => JsonValue.Create(integer),
                var text when decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
                var text => JsonValue.Create(text),
            };
        }

        public void WriteYaml(IEmitter emitter, object? value, Type type, ObjectSerializer serializer) =>
            throw new NotSupportedException("Environment settings are read, never written.");
    }
}
