using k8s;
using k8s.Models;
using YamlDotNet.Core;

namespace Slipway.Delivery.Manifests;

/// <summary>
/// The three objects of one environment folder (environments/&lt;env&gt;/ in the config repo): what the build commits
/// and what the agent applies. Parsing checks syntax and shape; <see cref="ManifestValidator"/> checks the rules.
/// </summary>
public sealed record EnvironmentManifests(string Environment, V1Deployment Deployment, V1Service Service, V1ConfigMap ConfigMap)
{
    /// <summary>Reads deployment.yaml, service.yaml and configmap.yaml from a folder named after the environment.</summary>
    /// <exception cref="ManifestException">A file is missing, unexpected, or not valid Kubernetes YAML.</exception>
    public static EnvironmentManifests Load(string environmentDirectory)
    {
        var directory = new DirectoryInfo(environmentDirectory);
        if (!directory.Exists)
            throw new ManifestException($"environment folder '{environmentDirectory}' does not exist; render it first (GitOpsCommit)");
        var files = directory.EnumerateFileSystemInfos()
            .Where(entry => !entry.Name.StartsWith('.'))
            .ToDictionary(entry => entry.Name,
                entry => entry is FileInfo file
                    ? File.ReadAllText(file.FullName)
                    : throw new ManifestException($"{environmentDirectory}: unexpected folder '{entry.Name}'; an environment folder holds only " +
                                                  string.Join(", ", SlipwayMetadata.EnvironmentFiles)),
                StringComparer.Ordinal);
        return Parse(directory.Name, files, environmentDirectory, templates: false);
    }

    /// <summary>Reads the templates of deploy/base/ (same three files; other files there are ignored).</summary>
    internal static EnvironmentManifests ParseTemplates(string environment, string baseDirectory)
    {
        var files = SlipwayMetadata.EnvironmentFiles
            .Where(name => File.Exists(Path.Combine(baseDirectory, name)))
            .ToDictionary(name => name, name => File.ReadAllText(Path.Combine(baseDirectory, name)), StringComparer.Ordinal);
        return Parse(environment, files, baseDirectory, templates: true);
    }

    /// <summary>Parses the files of an environment folder given by name (e.g. read from a Git revision).</summary>
    /// <exception cref="ManifestException">A file is missing, unexpected, or not valid Kubernetes YAML.</exception>
    public static EnvironmentManifests Parse(string environment, IReadOnlyDictionary<string, string> filesByName) =>
        Parse(environment, filesByName, SlipwayMetadata.EnvironmentFolder(environment), templates: false);

    private static EnvironmentManifests Parse(string environment, IReadOnlyDictionary<string, string> filesByName, string folder, bool templates)
    {
        var problems = new List<string>();
        if (!templates && !EnvironmentName.IsValid(environment))
            problems.Add($"{folder}: environment name '{environment}' is invalid; {EnvironmentName.Rule}");
        foreach (var name in filesByName.Keys.Where(name => !SlipwayMetadata.EnvironmentFiles.Contains(name)).Order(StringComparer.Ordinal))
            problems.Add($"{folder}/{name}: unexpected file; an environment folder holds only " +
                         $"{string.Join(", ", SlipwayMetadata.EnvironmentFiles)} (plain Kubernetes YAML, one object each) — remove it");

        var deployment = Read<V1Deployment>(SlipwayMetadata.DeploymentFile);
        var service = Read<V1Service>(SlipwayMetadata.ServiceFile);
        var configMap = Read<V1ConfigMap>(SlipwayMetadata.ConfigMapFile);
        if (problems.Count > 0) throw new ManifestException(problems);
        return new EnvironmentManifests(environment, deployment!, service!, configMap!);

        T? Read<T>(string file) where T : class
        {
            var path = $"{folder}/{file}";
            if (!filesByName.TryGetValue(file, out var text))
            {
                problems.Add($"{path}: missing; every environment folder needs {string.Join(", ", SlipwayMetadata.EnvironmentFiles)}");
                return null;
            }
            if (ManifestYaml.CountDocuments(text, out var yamlProblem) is var documents && yamlProblem is not null)
            {
                problems.Add($"{path}: not valid YAML ({yamlProblem}); fix the syntax");
                return null;
            }
            if (documents != 1)
            {
                problems.Add($"{path}: holds {documents} YAML documents; put exactly one Kubernetes object in each file");
                return null;
            }
            try
            {
                var value = KubernetesYaml.Deserialize<T>(text, strict: true);
                if (value is null) problems.Add($"{path}: empty; it must hold one {typeof(T).Name[2..]} object");
                return value;
            }
            catch (YamlException exception)
            {
                var reason = (exception.InnerException?.Message ?? exception.Message).Replace(System.Environment.NewLine, " ");
                problems.Add($"{path} (line {exception.Start.Line}, column {exception.Start.Column}): {reason}; " +
                             $"fix the field so the file is a valid {typeof(T).Name[2..]} (Kubernetes API field names are case-sensitive)");
                return null;
            }
        }
    }

    /// <summary>The data of the ConfigMap (empty when it has none).</summary>
    public IReadOnlyDictionary<string, string> ConfigData =>
        ConfigMap.Data is { } data ? new SortedDictionary<string, string>(data, StringComparer.Ordinal) : new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The image of the first container, as written (the validator ensures it is pinned by digest).</summary>
    public string? Image => Deployment.Spec?.Template?.Spec?.Containers?.FirstOrDefault()?.Image;

    /// <summary>The environment's stable host port from the Service's slipway.dev/host-port annotation, when valid.</summary>
    public int? HostPort =>
        Service.Metadata?.Annotations?.TryGetValue(SlipwayMetadata.HostPortAnnotation, out var text) == true &&
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) ? port : null;

    /// <summary>The promotion strategy from the Deployment's slipway.dev/strategy annotation (rolling when absent).</summary>
    public string Strategy =>
        Deployment.Metadata?.Annotations.Get(SlipwayMetadata.StrategyAnnotation) ?? "rolling";

    /// <summary>
    /// The revision is a rollback: its last change to the environment's folder carries <c>Slipway-Rollback-Of</c>. Set by
    /// whoever read it from Git (the agent); progressive strategies then apply it at once instead of canarying the
    /// known-good version against the bad one, as Argo Rollouts does within its rollback window.
    /// </summary>
    public bool IsRollback { get; init; }

    /// <summary>The rollout options from the Deployment's slipway.dev/rollout annotation (defaults when absent; the validator rejects an invalid one).</summary>
    public RolloutSpec Rollout =>
        Deployment.Metadata?.Annotations.Get(SlipwayMetadata.RolloutAnnotation) is { } json && RolloutSpec.TryParse(json, out var spec, out _)
            ? spec
            : new RolloutSpec();
}
