using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;

namespace Slipway.Delivery.Manifests;

/// <summary>
/// Renders an environment folder from deploy/: the templates in deploy/base/ plus deploy/environments/&lt;env&gt;.yaml,
/// with the image pinned by digest. Same inputs give byte-identical files; the output is validated before it is returned.
/// </summary>
public static class ManifestRenderer
{
    public const string BaseFolder = "base";
    public const string EnvironmentsFolder = "environments";

    private static readonly JsonSerializerOptions JsonOutput = new()
    {
        WriteIndented = true,
        IndentSize = 2,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Renders <paramref name="environment"/> with the image <paramref name="imageReferenceByDigest"/> (repository@sha256:...).</summary>
    /// <exception cref="ManifestException">Templates, settings or image are invalid; every problem names the file and the fix.</exception>
    public static RenderedEnvironment Render(string deployDirectory, string environment, string imageReferenceByDigest)
    {
        EnvironmentName.Require(environment);
        var image = ImageDigestReference.Parse(imageReferenceByDigest);
        var baseFolder = Path.Combine(deployDirectory, BaseFolder);
        if (!Directory.Exists(baseFolder))
            throw new ManifestException($"{baseFolder}: missing; deploy/ needs base/ with {string.Join(", ", SlipwayMetadata.EnvironmentFiles)}");
        var templates = EnvironmentManifests.ParseTemplates(environment, baseFolder);
        var settingsFile = Path.Combine(deployDirectory, EnvironmentsFolder, environment + ".yaml");
        var settings = EnvironmentSettings.Load(settingsFile);
        RequireOwnHostPort(settings, settingsFile);
        return Render(templates, settings, environment, image, settingsFile);
    }

    /// <summary>Two environments on one host port would fight over it on the single-machine backend.</summary>
    private static void RequireOwnHostPort(EnvironmentSettings settings, string settingsFile)
    {
        foreach (var other in Directory.EnumerateFiles(Path.GetDirectoryName(settingsFile)!, "*.yaml").Order(StringComparer.Ordinal))
        {
            if (Path.GetFullPath(other) == Path.GetFullPath(settingsFile)) continue;
            EnvironmentSettings otherSettings;
            try { otherSettings = EnvironmentSettings.Load(other); }
            catch (ManifestException) { continue; }   // that environment's own render reports its problems
            if (otherSettings.HostPort == settings.HostPort)
                throw new ManifestException($"{settingsFile}: hostPort {settings.HostPort} is also {Path.GetFileName(other)}'s; give every environment its own port");
        }
    }

    /// <summary>Renders with an image reference that carries a digest (e.g. the registry push result); its tag, if any, is dropped.</summary>
    public static RenderedEnvironment Render(string deployDirectory, string environment, Oci.ImageReference imageByDigest)
    {
        ArgumentNullException.ThrowIfNull(imageByDigest);
        if (imageByDigest.Digest is null)
            throw new ManifestException($"image '{imageByDigest}' has no digest; deploy the reference the registry push returned (repository@sha256:...)");
        return Render(deployDirectory, environment, $"{imageByDigest.Name}@{imageByDigest.Digest}");
    }

    /// <summary>Renders from already parsed templates and settings (<paramref name="settingsSource"/> names them in errors).</summary>
    public static RenderedEnvironment Render(EnvironmentManifests templates, EnvironmentSettings settings, string environment,
        ImageDigestReference image, string settingsSource)
    {
        EnvironmentName.Require(environment);
        var deployment = Copy(templates.Deployment);
        var service = Copy(templates.Service);
        var configMap = Copy(templates.ConfigMap);

        foreach (var metadata in new[] { deployment.Metadata ??= new V1ObjectMeta(), service.Metadata ??= new V1ObjectMeta(), configMap.Metadata ??= new V1ObjectMeta() })
        {
            metadata.NamespaceProperty = environment;
            (metadata.Labels ??= new Dictionary<string, string>())[SlipwayMetadata.EnvironmentLabel] = environment;
        }

        ApplyConfig(configMap, settings, settingsSource);
        var configHash = ConfigHash.Compute(new SortedDictionary<string, string>(configMap.Data, StringComparer.Ordinal));
        (configMap.Metadata.Annotations ??= new Dictionary<string, string>())[SlipwayMetadata.ConfigHashAnnotation] = configHash;

        ApplyDeployment(deployment, settings, environment, image, settingsSource);

        (service.Metadata.Annotations ??= new Dictionary<string, string>())[SlipwayMetadata.HostPortAnnotation] =
            settings.HostPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (service.Spec?.Selector is { } selector) selector[SlipwayMetadata.EnvironmentLabel] = environment;

        var files = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [SlipwayMetadata.DeploymentFile] = ManifestYaml.Serialize(deployment),
            [SlipwayMetadata.ServiceFile] = ManifestYaml.Serialize(service),
            [SlipwayMetadata.ConfigMapFile] = ManifestYaml.Serialize(configMap),
        };
        // Validate what will be committed, read back from the very bytes, exactly as the agent will read them.
        var rendered = EnvironmentManifests.Parse(environment, files);
        ManifestValidator.ThrowIfInvalid(rendered);
        return new RenderedEnvironment(environment, files, rendered, image, configHash);
    }

    private static void ApplyDeployment(V1Deployment deployment, EnvironmentSettings settings, string environment, ImageDigestReference image, string source)
    {
        var spec = deployment.Spec ?? throw new ManifestException("deploy/base/deployment.yaml: spec is missing; a Deployment needs spec.selector and spec.template");
        spec.Replicas = settings.Replicas;
        var annotations = deployment.Metadata.Annotations ??= new Dictionary<string, string>();
        annotations[SlipwayMetadata.StrategyAnnotation] = settings.Strategy.Type;
        if (settings.Strategy.Type == "canary") annotations[SlipwayMetadata.CanaryStepsAnnotation] = CanaryStep.Format(settings.CanarySteps);
        else annotations.Remove(SlipwayMetadata.CanaryStepsAnnotation);
        annotations[SlipwayMetadata.RolloutAnnotation] = settings.Rollout.ToJson();
        annotations[SlipwayMetadata.VerificationAnnotation] = settings.Verification;
        annotations[SlipwayMetadata.MaxReplicasAnnotation] = settings.Policy.MaxReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (settings.Policy.AllowedRegistries.Count > 0)
            annotations[SlipwayMetadata.AllowedRegistriesAnnotation] = string.Join(',', settings.Policy.AllowedRegistries);
        else annotations.Remove(SlipwayMetadata.AllowedRegistriesAnnotation);

        if (spec.Selector?.MatchLabels is { } matchLabels) matchLabels[SlipwayMetadata.EnvironmentLabel] = environment;
        var template = spec.Template ??= new V1PodTemplateSpec();
        ((template.Metadata ??= new V1ObjectMeta()).Labels ??= new Dictionary<string, string>())[SlipwayMetadata.EnvironmentLabel] = environment;

        var containers = template.Spec?.Containers ?? [];
        var container = settings.Image.Container is { } name
            ? containers.FirstOrDefault(candidate => candidate.Name == name)
              ?? throw new ManifestException($"{source}: image.container '{name}' names no container of deploy/base/deployment.yaml " +
                                             $"(containers: {string.Join(", ", containers.Select(candidate => candidate.Name))}); fix the name")
            : containers.Count == 1
                ? containers[0]
                : throw new ManifestException($"{source}: the Deployment has {containers.Count} containers; set image.container to the one to deliver");
        container.Image = image.ToString();
        if (settings.Image.DigestEnv is { Length: > 0 } digestEnv)
        {
            var env = container.Env ??= [];
            var variable = env.FirstOrDefault(candidate => candidate.Name == digestEnv);
            if (variable is null) env.Add(variable = new V1EnvVar { Name = digestEnv });
            variable.Value = image.Digest;
            variable.ValueFrom = null;
            annotations[SlipwayMetadata.DigestEnvAnnotation] = digestEnv;
        }
    }

    private static void ApplyConfig(V1ConfigMap configMap, EnvironmentSettings settings, string source)
    {
        var data = configMap.Data ??= new Dictionary<string, string>();
        if (!data.TryGetValue(settings.ConfigFile, out var text))
        {
            if (settings.Flags.Count == 0 && settings.Settings is null) return;
            throw new ManifestException($"{source}: flags/settings target ConfigMap data '{settings.ConfigFile}', which deploy/base/configmap.yaml " +
                                        $"does not have (keys: {string.Join(", ", data.Keys)}); set configFile or add the key");
        }
        JsonNode? root;
        try { root = JsonNode.Parse(text); }
        catch (JsonException exception)
        {
            throw new ManifestException($"deploy/base/configmap.yaml: data '{settings.ConfigFile}' is not valid JSON ({exception.Message}); fix the JSON");
        }
        if (root is not JsonObject config)
            throw new ManifestException($"deploy/base/configmap.yaml: data '{settings.ConfigFile}' must be a JSON object");

        if (settings.Settings is { } overrides) Merge(config, overrides);
        ApplyFlags(config, settings, source);
        data[settings.ConfigFile] = FormatJson(config);
    }

    /// <summary>How rendered JSON config files are written (flag changes write them the same way, so bytes stay canonical).</summary>
    internal static string FormatJson(JsonObject config) => config.ToJsonString(JsonOutput) + "\n";

    private static void ApplyFlags(JsonObject config, EnvironmentSettings settings, string source)
    {
        if (settings.Flags.Count == 0) return;
        var flags = (config["feature_management"] as JsonObject)?["feature_flags"] as JsonArray;
        var byId = flags?.OfType<JsonObject>().Where(flag => flag["id"] is JsonValue).ToDictionary(flag => flag["id"]!.GetValue<string>(), StringComparer.Ordinal)
                   ?? new Dictionary<string, JsonObject>();
        var problems = new List<string>();
        foreach (var (id, change) in settings.Flags.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            if (!byId.TryGetValue(id, out var flag))
            {
                problems.Add($"{source}: flags.{id}: no such feature flag in {settings.ConfigFile} (feature_management.feature_flags: " +
                             $"{string.Join(", ", byId.Keys)}); declare it in deploy/base/configmap.yaml or fix the id");
                continue;
            }
            if (change.Enabled is { } enabled) flag["enabled"] = enabled;
            if (change.DefaultVariant is { } variant)
            {
                var variants = (flag["variants"] as JsonArray)?.OfType<JsonObject>().Select(candidate => candidate["name"]?.GetValue<string>()).ToList() ?? [];
                if (!variants.Contains(variant))
                {
                    problems.Add($"{source}: flags.{id}.defaultVariant '{variant}' is not a variant of the flag (variants: {string.Join(", ", variants)})");
                    continue;
                }
                var allocation = flag["allocation"] as JsonObject ?? (JsonObject)(flag["allocation"] = new JsonObject());
                allocation["default_when_enabled"] = variant;
            }
        }
        if (problems.Count > 0) throw new ManifestException(problems);
    }

    private static void Merge(JsonObject target, JsonObject changes)
    {
        foreach (var (key, value) in changes)
        {
            if (value is JsonObject nested && target[key] is JsonObject existing) Merge(existing, nested);
            else target[key] = value?.DeepClone();
        }
    }

    /// <summary>Deep copy through YAML so rendering never mutates the caller's templates.</summary>
    private static T Copy<T>(T kubernetesObject) => k8s.KubernetesYaml.Deserialize<T>(k8s.KubernetesYaml.Serialize(kubernetesObject!));
}
