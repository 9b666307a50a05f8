using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;

namespace Slipway.Delivery.Manifests;

/// <summary>
/// The rules an environment folder must follow before it is committed (by the build) or applied (by the agent).
/// Returns every problem at once; each names the file, the object and the fix.
/// </summary>
public static partial class ManifestValidator
{
    [GeneratedRegex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")]
    private static partial Regex ObjectNamePattern();

    [GeneratedRegex("^[-._a-zA-Z0-9]+$")]
    private static partial Regex ConfigKeyPattern();

    public static IReadOnlyList<string> Validate(EnvironmentManifests manifests)
    {
        ArgumentNullException.ThrowIfNull(manifests);
        var problems = new List<string>();
        var folder = SlipwayMetadata.EnvironmentFolder(manifests.Environment);
        if (!EnvironmentName.IsValid(manifests.Environment))
            problems.Add($"{folder}: environment name '{manifests.Environment}' is invalid; {EnvironmentName.Rule}");

        var configMapName = ValidateConfigMap(manifests, folder, problems);
        var (podLabels, containerPorts) = ValidateDeployment(manifests, folder, configMapName, problems);
        ValidateService(manifests, folder, podLabels, containerPorts, problems);
        return problems;
    }

    /// <summary>Throws a <see cref="ManifestException"/> listing every problem, if any.</summary>
    public static void ThrowIfInvalid(EnvironmentManifests manifests)
    {
        var problems = Validate(manifests);
        if (problems.Count > 0) throw new ManifestException(problems);
    }

    private static bool CheckKind(IKubernetesObject kubernetesObject, string apiVersion, string kind, string where, List<string> problems)
    {
        if (kubernetesObject.ApiVersion == apiVersion && kubernetesObject.Kind == kind) return true;
        problems.Add(string.IsNullOrEmpty(kubernetesObject.Kind)
            ? $"{where}: no 'kind'; this file must hold a {apiVersion} {kind} (set apiVersion: {apiVersion} and kind: {kind})"
            : kubernetesObject.Kind == kind
                ? $"{where}: apiVersion '{kubernetesObject.ApiVersion}' is not supported for {kind}; use apiVersion: {apiVersion}"
                : $"{where}: unknown kind '{kubernetesObject.Kind}' (apiVersion '{kubernetesObject.ApiVersion}'); this file must hold a {apiVersion} {kind} " +
                  "— Slipway applies only Deployment, Service and ConfigMap, one per file");
        return false;
    }

    private static void CheckMetadata(V1ObjectMeta? metadata, string environment, string where, List<string> problems)
    {
        if (string.IsNullOrEmpty(metadata?.Name) || !ObjectNamePattern().IsMatch(metadata.Name))
            problems.Add($"{where}: metadata.name '{metadata?.Name}' is missing or invalid; use a lowercase DNS name such as 'beacon'");
        if (metadata?.NamespaceProperty != environment)
            problems.Add($"{where}: metadata.namespace is '{metadata?.NamespaceProperty}'; objects of environment '{environment}' live in namespace '{environment}'");
    }

    private static string? ValidateConfigMap(EnvironmentManifests manifests, string folder, List<string> problems)
    {
        var configMap = manifests.ConfigMap;
        var where = $"{folder}/{SlipwayMetadata.ConfigMapFile}, ConfigMap '{configMap.Metadata?.Name}'";
        if (!CheckKind(configMap, "v1", "ConfigMap", where, problems)) return null;
        CheckMetadata(configMap.Metadata, manifests.Environment, where, problems);
        if (configMap.BinaryData is { Count: > 0 })
            problems.Add($"{where}: binaryData is not supported; put the service's settings as text under data");
        if (configMap.Data is not { Count: > 0 } data)
        {
            problems.Add($"{where}: data is empty; it must hold the service's settings (e.g. appsettings.json)");
            return configMap.Metadata?.Name;
        }
        foreach (var (key, value) in data.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            if (!ConfigKeyPattern().IsMatch(key))
                problems.Add($"{where}: data key '{key}' is not a valid file name; use letters, digits, '-', '_' and '.'");
            if (key.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                try { using var _ = JsonDocument.Parse(value ?? ""); }
                catch (JsonException exception)
                {
                    problems.Add($"{where}: data '{key}' is not valid JSON (line {exception.LineNumber + 1}: {exception.Message}); fix the JSON");
                }
            }
        }
        if (manifests.Environment == SlipwayMetadata.ProductionEnvironment && FaultsEnabled(data))
            problems.Add($"{where}: Faults.Enabled is true; faults are never injected in {SlipwayMetadata.ProductionEnvironment} — remove it from its settings");
        if (configMap.Metadata?.Annotations.Get(SlipwayMetadata.ConfigHashAnnotation) is { } recorded &&
            recorded != ConfigHash.Compute(manifests.ConfigData))
            problems.Add($"{where}: annotation {SlipwayMetadata.ConfigHashAnnotation} '{recorded}' does not match the data " +
                         $"({ConfigHash.Compute(manifests.ConfigData)}); re-render the environment instead of editing data by hand, or remove the annotation");
        return configMap.Metadata?.Name;
    }

    /// <summary>Whether a JSON settings file of the ConfigMap switches Beacon's fault injection on (Faults.Enabled: true).</summary>
    private static bool FaultsEnabled(IDictionary<string, string> data) =>
        data.Where(pair => pair.Key.EndsWith(".json", StringComparison.OrdinalIgnoreCase)).Any(pair =>
        {
            try
            {
                return System.Text.Json.Nodes.JsonNode.Parse(pair.Value ?? "") is System.Text.Json.Nodes.JsonObject root
                       && root.FirstOrDefault(p => p.Key.Equals("Faults", StringComparison.OrdinalIgnoreCase)).Value is System.Text.Json.Nodes.JsonObject faults
                       && faults.FirstOrDefault(p => p.Key.Equals("Enabled", StringComparison.OrdinalIgnoreCase)).Value is { } enabled
                       && (enabled.GetValueKind() == JsonValueKind.True
                           || (enabled.GetValueKind() == JsonValueKind.String && enabled.GetValue<string>().Equals("true", StringComparison.OrdinalIgnoreCase)));
            }
            catch (JsonException)
            {
                return false; // reported as invalid JSON above
            }
        });

    private static (IDictionary<string, string> PodLabels, List<V1ContainerPort> Ports) ValidateDeployment(
        EnvironmentManifests manifests, string folder, string? configMapName, List<string> problems)
    {
        var deployment = manifests.Deployment;
        var where = $"{folder}/{SlipwayMetadata.DeploymentFile}, Deployment '{deployment.Metadata?.Name}'";
        var ports = new List<V1ContainerPort>();
        var podLabels = (IDictionary<string, string>)(deployment.Spec?.Template?.Metadata?.Labels ?? new Dictionary<string, string>());
        if (!CheckKind(deployment, "apps/v1", "Deployment", where, problems)) return (podLabels, ports);
        CheckMetadata(deployment.Metadata, manifests.Environment, where, problems);

        var labels = deployment.Metadata?.Labels;
        if (string.IsNullOrEmpty(labels.Get(SlipwayMetadata.NameLabel)))
            problems.Add($"{where}: label {SlipwayMetadata.NameLabel} is missing; set it to the service's name");
        if (labels.Get(SlipwayMetadata.EnvironmentLabel) != manifests.Environment)
            problems.Add($"{where}: label {SlipwayMetadata.EnvironmentLabel} is '{labels.Get(SlipwayMetadata.EnvironmentLabel)}'; set it to '{manifests.Environment}'");

        var annotations = deployment.Metadata?.Annotations;
        var strategy = annotations.Get(SlipwayMetadata.StrategyAnnotation);
        if (strategy is null || !SlipwayMetadata.Strategies.Contains(strategy))
            problems.Add($"{where}: annotation {SlipwayMetadata.StrategyAnnotation} is '{strategy}'; use one of {string.Join(", ", SlipwayMetadata.Strategies)}");
        if (annotations.Get(SlipwayMetadata.CanaryStepsAnnotation) is { } steps && !CanaryStep.TryParseAll(steps, out _, out var stepProblem))
            problems.Add($"{where}: annotation {SlipwayMetadata.CanaryStepsAnnotation}: {stepProblem}");
        if (annotations.Get(SlipwayMetadata.RolloutAnnotation) is { } rollout && !RolloutSpec.TryParse(rollout, out _, out var rolloutProblem))
            problems.Add($"{where}: annotation {SlipwayMetadata.RolloutAnnotation}: {rolloutProblem}");

        var spec = deployment.Spec;
        if (spec is null)
        {
            problems.Add($"{where}: spec is missing; a Deployment needs spec.selector and spec.template");
            return (podLabels, ports);
        }
        if (spec.Replicas is < 0)
            problems.Add($"{where}: spec.replicas is {spec.Replicas}; use 0 or more");
        if (annotations.Get(SlipwayMetadata.MaxReplicasAnnotation) is { } maxText)
        {
            if (!int.TryParse(maxText, NumberStyles.None, CultureInfo.InvariantCulture, out var max))
                problems.Add($"{where}: annotation {SlipwayMetadata.MaxReplicasAnnotation} is '{maxText}'; use a whole number");
            else if (spec.Replicas > max)
                problems.Add($"{where}: spec.replicas is {spec.Replicas}, above the environment's policy.maxReplicas {max}; lower replicas");
        }
        if (annotations.Get(SlipwayMetadata.AllowedRegistriesAnnotation) is { } allowedText)
        {
            var allowed = RegistryPolicy.ParseList(allowedText);
            foreach (var image in spec.Template?.Spec?.Containers?.Select(c => c.Image).OfType<string>() ?? [])
                if (RegistryPolicy.Refuses(allowed, image) is { } refusal)
                    problems.Add($"{where}: {refusal} (policy.allowedRegistries of the environment)");
        }
        if (spec.Selector?.MatchLabels is not { Count: > 0 } matchLabels)
            problems.Add($"{where}: spec.selector.matchLabels is empty; select the pod template's labels (e.g. {SlipwayMetadata.NameLabel})");
        else if (matchLabels.Any(pair => podLabels.Get(pair.Key) != pair.Value))
            problems.Add($"{where}: spec.selector.matchLabels does not match spec.template.metadata.labels; the selector must select the template's pods");

        var podSpec = spec.Template?.Spec;
        if (podSpec?.Containers is not { Count: > 0 } containers)
        {
            problems.Add($"{where}: spec.template.spec.containers is empty; add the service's container");
            return (podLabels, ports);
        }
        var volumes = podSpec.Volumes ?? [];
        foreach (var container in containers)
        {
            var at = $"{where}, container '{container.Name}'";
            if (string.IsNullOrEmpty(container.Name)) problems.Add($"{where}: a container has no name; name every container");
            if (!ImageDigestReference.TryParse(container.Image, out _, out var imageProblem)) problems.Add($"{at}: {imageProblem}");
            var containerPorts = container.Ports ?? [];
            foreach (var port in containerPorts)
            {
                if (port.ContainerPort is < 1 or > 65535)
                    problems.Add($"{at}: containerPort {port.ContainerPort} is out of range; use 1-65535");
                else ports.Add(port);
            }
            CheckProbe(container.ReadinessProbe, "readinessProbe", "/readyz", containerPorts, at, problems);
            CheckProbe(container.LivenessProbe, "livenessProbe", "/healthz", containerPorts, at, problems);
            foreach (var mount in container.VolumeMounts ?? [])
                if (volumes.All(volume => volume.Name != mount.Name))
                    problems.Add($"{at}: volumeMount '{mount.Name}' names no volume of the pod; add the volume or remove the mount");
        }

        var configVolumes = volumes.Where(volume => volume.ConfigMap is not null).ToList();
        foreach (var volume in configVolumes.Where(volume => volume.ConfigMap.Name != configMapName))
            problems.Add($"{where}: volume '{volume.Name}' mounts ConfigMap '{volume.ConfigMap.Name}', but {SlipwayMetadata.ConfigMapFile} defines '{configMapName}'; " +
                         "reference the environment's ConfigMap");
        if (!configVolumes.Any(volume => containers.Any(container => container.VolumeMounts?.Any(mount => mount.Name == volume.Name) == true)))
            problems.Add($"{where}: no container mounts the ConfigMap '{configMapName}'; add a configMap volume and mount it at the service's config directory");
        return (podLabels, ports);
    }

    private static void CheckProbe(V1Probe? probe, string field, string example, IList<V1ContainerPort> ports, string where, List<string> problems)
    {
        if (probe?.HttpGet is not { } httpGet)
        {
            problems.Add($"{where}: {field} is missing; add an httpGet probe (e.g. path {example}, port http) so only a ready, live service receives traffic");
            return;
        }
        if (string.IsNullOrEmpty(httpGet.Path) || !httpGet.Path.StartsWith('/'))
            problems.Add($"{where}: {field}.httpGet.path '{httpGet.Path}' must be an absolute path such as {example}");
        if (!ResolvesToContainerPort(httpGet.Port, ports))
            problems.Add($"{where}: {field}.httpGet.port '{httpGet.Port?.Value}' is not a port of the container; use a containerPort number or its name");
    }

    private static bool ResolvesToContainerPort(IntOrString? port, IEnumerable<V1ContainerPort> ports)
    {
        if (port?.Value is not { Length: > 0 } value) return false;
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number is >= 1 and <= 65535 && ports.Any(candidate => candidate.ContainerPort == number)
            : ports.Any(candidate => candidate.Name == value);
    }

    private static void ValidateService(EnvironmentManifests manifests, string folder, IDictionary<string, string> podLabels,
        List<V1ContainerPort> containerPorts, List<string> problems)
    {
        var service = manifests.Service;
        var where = $"{folder}/{SlipwayMetadata.ServiceFile}, Service '{service.Metadata?.Name}'";
        if (!CheckKind(service, "v1", "Service", where, problems)) return;
        CheckMetadata(service.Metadata, manifests.Environment, where, problems);

        var hostPort = service.Metadata?.Annotations.Get(SlipwayMetadata.HostPortAnnotation);
        if (!int.TryParse(hostPort, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed is < 1 or > 65535)
            problems.Add($"{where}: annotation {SlipwayMetadata.HostPortAnnotation} is '{hostPort}'; set it to the environment's stable port, 1-65535 (e.g. \"8081\")");

        if (service.Spec?.Selector is not { Count: > 0 } selector)
            problems.Add($"{where}: spec.selector is empty; select the Deployment's pod labels");
        else if (selector.Any(pair => podLabels.Get(pair.Key) != pair.Value))
            problems.Add($"{where}: spec.selector does not match the Deployment's pod template labels; the Service would route to no pod");

        if (service.Spec?.Ports is not { Count: > 0 } servicePorts)
        {
            problems.Add($"{where}: spec.ports is empty; add a port whose targetPort is the container's port");
            return;
        }
        foreach (var port in servicePorts)
            if (port.Port is < 1 or > 65535)
                problems.Add($"{where}: port {port.Port} is out of range; use 1-65535");
        var target = servicePorts[0].TargetPort ?? (IntOrString)servicePorts[0].Port;
        if (!ResolvesToContainerPort(target, containerPorts))
            problems.Add($"{where}: spec.ports[0].targetPort '{target.Value}' is not a port of the Deployment's container; " +
                         "use its containerPort number or name");
    }
}
