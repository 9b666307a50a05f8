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

    /// <summary>
    /// Image signature policy: enforce (an unsigned or unverifiable digest is refused by GitOpsCommit, Promote and the
    /// agent) or audit (it is allowed with a warning). Rendered as the Deployment annotation slipway.dev/image-verification.
    /// </summary>
    public string Verification { get; set; } = SlipwayMetadata.VerificationEnforce;

    /// <summary>
    /// Rolling and canary: seconds the replaced revision's replicas keep running out of traffic after a rollout, so a
    /// Rollback within them moves traffic back without starting anything (<see cref="RolloutSpec.RollbackWindowSeconds"/>).
    /// </summary>
    public int RollbackWindowSeconds { get; set; }

    /// <summary>Seconds a replica may stay unready before the agent replaces it (0: never).</summary>
    public int ReplaceUnreadyAfterSeconds { get; set; } = RolloutSpec.DefaultReplaceUnreadyAfterSeconds;

    /// <summary>What the agent (and the build, before committing) accepts for this environment.</summary>
    public PolicySettings Policy { get; set; } = new();

    /// <summary>Promotion policy; null when the environment is only deployed to directly (GitOpsCommit), never promoted into.</summary>
    public PromotionSettings? Promotion { get; set; }

    /// <summary>The ConfigMap data key holding the JSON settings that <see cref="Flags"/> and <see cref="Settings"/> change.</summary>
    public string ConfigFile { get; set; } = "appsettings.json";

    /// <summary>Feature flag overrides by flag id (Microsoft.FeatureManagement schema: feature_management.feature_flags).</summary>
    public Dictionary<string, FlagOverride> Flags { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Settings merged into the config file (objects merge key by key; other values replace).</summary>
    public JsonObject? Settings { get; set; }

    public sealed class PolicySettings
    {
        /// <summary>The most replicas the environment may run (annotation slipway.dev/max-replicas); the agent also has its own ceiling.</summary>
        public int MaxReplicas { get; set; } = 10;

        /// <summary>Registries (host:port, or host:* for any port) images may come from; empty: the agent's own list (the platform's registry).</summary>
        public List<string> AllowedRegistries { get; set; } = [];
    }

    public sealed class StrategySettings
    {
        /// <summary>rolling | blue-green | canary</summary>
        public string Type { get; set; } = "rolling";

        public CanarySettings? Canary { get; set; }

        /// <summary>Thresholds of the canary / A/B analysis (defaults: <see cref="AnalysisSpec"/>).</summary>
        public AnalysisSpec? Analysis { get; set; }

        public AbTestingSpec? AbTesting { get; set; }

        public BlueGreenSpec? BlueGreen { get; set; }

        /// <summary>Pre-rollout gate webhooks, called in order before traffic moves.</summary>
        public List<GateSpec> Gates { get; set; } = [];
    }

    /// <summary>What Promote checks before it commits a digest to this environment (read by the build from deploy/, never by the agent).</summary>
    public sealed class PromotionSettings
    {
        /// <summary>The environment whose running, smoke-tested digest is promoted here.</summary>
        public string From { get; set; } = "staging";

        /// <summary>automatic | manual (manual: Promote waits for `./build.sh Approve --environment &lt;env&gt;`).</summary>
        public string Approval { get; set; } = "automatic";

        /// <summary>How long Promote waits for an approval before it gives up (manual only).</summary>
        public int ApprovalTimeoutSeconds { get; set; } = 900;

        /// <summary>How long the digest must have run in <see cref="From"/> before it may be promoted.</summary>
        public int SoakSeconds { get; set; }
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
                                        "fix it (fields: replicas, hostPort, strategy, rollbackWindowSeconds, replaceUnreadyAfterSeconds, verification, promotion, image, configFile, flags, settings — see deploy/README.md)");
        }
        settings ??= new EnvironmentSettings();
        settings.Check(source);
        return settings;
    }

    private void Check(string source)
    {
        var problems = new List<string>();
        if (Replicas < 0) problems.Add($"{source}: replicas is {Replicas}; use 0 or more");
        if (Policy.MaxReplicas < 0) problems.Add($"{source}: policy.maxReplicas is {Policy.MaxReplicas}; use 0 or more");
        else if (Replicas > Policy.MaxReplicas)
            problems.Add($"{source}: replicas is {Replicas}, above policy.maxReplicas {Policy.MaxReplicas}; lower replicas or raise the cap deliberately");
        foreach (var registry in Policy.AllowedRegistries.Where(r => !RegistryPolicy.IsValidPattern(r)))
            problems.Add($"{source}: policy.allowedRegistries entry '{registry}' is not host:port or host:*");
        if (HostPort is < 1 or > 65535) problems.Add($"{source}: hostPort is {HostPort}; set the environment's stable port, 1-65535 (e.g. 8081)");
        if (!SlipwayMetadata.Strategies.Contains(Strategy.Type))
            problems.Add($"{source}: strategy.type is '{Strategy.Type}'; use one of {string.Join(", ", SlipwayMetadata.Strategies)}");
        if (Strategy.Type == "canary" && !CanaryStep.Check(CanarySteps, out var problem))
            problems.Add($"{source}: strategy.canary.steps: {problem}");
        if (Strategy.Type != "canary" && Strategy.Canary is not null)
            problems.Add($"{source}: strategy.canary is set but strategy.type is '{Strategy.Type}'; remove it or use type: canary");
        if (Strategy.Type == "ab-testing" && Strategy.AbTesting is null)
            problems.Add($"{source}: strategy.type is 'ab-testing' but strategy.abTesting is missing; set header or cookie, value and iterations");
        if (Strategy.Type != "ab-testing" && Strategy.AbTesting is not null)
            problems.Add($"{source}: strategy.abTesting is set but strategy.type is '{Strategy.Type}'; remove it or use type: ab-testing");
        if (Strategy.Type == "blue-green" && Strategy.BlueGreen is null)
            problems.Add($"{source}: strategy.type is 'blue-green' but strategy.blueGreen is missing; set previewPort (and keepWarmSeconds)");
        if (Strategy.Type != "blue-green" && Strategy.BlueGreen is not null)
            problems.Add($"{source}: strategy.blueGreen is set but strategy.type is '{Strategy.Type}'; remove it or use type: blue-green");
        problems.AddRange(Rollout.Check().Select(problem => $"{source}: {problem}"));
        if (Promotion is { } promotion)
        {
            if (!EnvironmentName.IsValid(promotion.From)) problems.Add($"{source}: promotion.from '{promotion.From}' is not an environment name; {EnvironmentName.Rule}");
            if (promotion.Approval is not ("automatic" or "manual")) problems.Add($"{source}: promotion.approval is '{promotion.Approval}'; use automatic or manual");
            if (promotion.ApprovalTimeoutSeconds < 1) problems.Add($"{source}: promotion.approvalTimeoutSeconds is {promotion.ApprovalTimeoutSeconds}; use 1 or more");
            if (promotion.SoakSeconds < 0) problems.Add($"{source}: promotion.soakSeconds is {promotion.SoakSeconds}; use 0 or more");
        }
        if (!SlipwayMetadata.VerificationModes.Contains(Verification))
            problems.Add($"{source}: verification is '{Verification}'; use one of {string.Join(", ", SlipwayMetadata.VerificationModes)}");
        if (string.IsNullOrWhiteSpace(ConfigFile)) problems.Add($"{source}: configFile is empty; name the ConfigMap data key with the settings");
        if (problems.Count > 0) throw new ManifestException(problems);
    }

    /// <summary>The rollout options the agent reads (annotation slipway.dev/rollout).</summary>
    public RolloutSpec Rollout => new()
    {
        Analysis = Strategy.Analysis ?? new AnalysisSpec(),
        AbTesting = Strategy.AbTesting,
        BlueGreen = Strategy.BlueGreen,
        Gates = Strategy.Gates,
        RollbackWindowSeconds = RollbackWindowSeconds,
        ReplaceUnreadyAfterSeconds = ReplaceUnreadyAfterSeconds,
    };

    /// <summary>The canary's steps; without any, Flagger's and Argo's usual 10% → 25% → 50% (→ 100%), 10 s each.</summary>
    public IReadOnlyList<CanaryStep> CanarySteps =>
        Strategy.Canary is { Steps.Count: > 0 } canary
            ? canary.Steps.Select(step => new CanaryStep(step.Weight, step.PauseSeconds)).ToList()
            : DefaultCanarySteps;

    public static readonly IReadOnlyList<CanaryStep> DefaultCanarySteps = [new(10, 10), new(25, 10), new(50, 10)];

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
