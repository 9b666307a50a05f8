using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;
using Slipway.Delivery.Manifests;

namespace Slipway.Agent.Backends.Docker;

/// <summary>An HTTP probe resolved to a container port.</summary>
public sealed record HttpProbe(string Path, int ContainerPort, int FailureThreshold, TimeSpan Period, TimeSpan InitialDelay, TimeSpan Timeout);

/// <summary>A ConfigMap mounted read-only into the container.</summary>
public sealed record ConfigMount(string ConfigMapName, string MountPath);

/// <summary>
/// The one-machine reading of an environment's manifests: what each replica container runs, and how the router
/// reaches it. <see cref="TemplateHash"/> covers the pod template only; ConfigMap data is updated in place.
/// </summary>
public sealed record WorkloadSpec(
    string Environment,
    string App,
    string Image,
    int Replicas,
    string TemplateHash,
    IReadOnlyList<int> ContainerPorts,
    int TargetPort,
    int HostPort,
    HttpProbe Readiness,
    HttpProbe? Liveness,
    IReadOnlyList<string> Env,
    string? User,
    IReadOnlyList<ConfigMount> Mounts,
    IReadOnlyList<string> ScratchDirectories,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ConfigMaps,
    long? MemoryBytes,
    long? NanoCpus,
    bool ReadOnlyRootFilesystem,
    bool NoNewPrivileges,
    bool DropAllCapabilities)
{
    public const string HostPortAnnotation = "slipway.dev/host-port";

    /// <summary>How long the replicas a rollout replaced keep running out of traffic, for an instant rollback (rollbackWindowSeconds).</summary>
    public TimeSpan RollbackWindow { get; init; }

    /// <summary>A replica unready for longer than this is replaced; zero: never (replaceUnreadyAfterSeconds).</summary>
    public TimeSpan ReplaceUnreadyAfter { get; init; } = TimeSpan.FromSeconds(RolloutSpec.DefaultReplaceUnreadyAfterSeconds);

    /// <summary>The probe whose failures mean the replica is dead: the livenessProbe, or the readiness probe when there is none.</summary>
    public HttpProbe LivenessOrReadiness => Liveness ?? Readiness;

    public string ImageDigest => Slipway.Delivery.Oci.ImageDigest.Of(Image).Value;

    public string ConfigHash => ConfigMaps.Count == 0
        ? Slipway.Delivery.Manifests.ConfigHash.Compute(new Dictionary<string, string>())
        : Slipway.Delivery.Manifests.ConfigHash.Compute(ConfigMaps.Values.First());

    /// <summary>Reads validated manifests; throws <see cref="FormatException"/> naming the field for what this backend cannot run.</summary>
    public static WorkloadSpec From(EnvironmentManifests manifests)
    {
        var deployment = manifests.Deployment;
        var app = deployment.Metadata?.Name ?? throw new FormatException("deployment.yaml: metadata.name is missing.");
        var pod = deployment.Spec?.Template?.Spec ?? throw new FormatException("deployment.yaml: spec.template.spec is missing.");
        if (pod.Containers is not { Count: 1 })
            throw new FormatException($"deployment.yaml: the docker backend runs exactly one container per pod; '{app}' has {pod.Containers?.Count ?? 0}.");
        var container = pod.Containers[0];
        var ports = (container.Ports ?? []).Select(p => p.ContainerPort).Distinct().ToList();

        int ResolvePort(IntOrString? port, string what)
        {
            var text = port?.Value ?? throw new FormatException($"deployment.yaml: {what} has no port.");
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number)) return number;
            return container.Ports?.FirstOrDefault(p => p.Name == text)?.ContainerPort
                   ?? throw new FormatException($"deployment.yaml: {what} names port '{text}', which container '{container.Name}' does not declare.");
        }

        HttpProbe? Probe(V1Probe? probe, string what) => probe?.HttpGet is { } get
            ? new HttpProbe(get.Path ?? "/", ResolvePort(get.Port, $"{what}.httpGet"), probe.FailureThreshold ?? 3,
                TimeSpan.FromSeconds(probe.PeriodSeconds ?? 10), TimeSpan.FromSeconds(probe.InitialDelaySeconds ?? 0), TimeSpan.FromSeconds(probe.TimeoutSeconds ?? 1))
            : null;

        var readiness = Probe(container.ReadinessProbe, "readinessProbe")
                        ?? throw new FormatException($"deployment.yaml: container '{container.Name}' needs an httpGet readinessProbe.");
        var service = manifests.Service;
        string? hostPortText = null;
        service.Metadata?.Annotations?.TryGetValue(HostPortAnnotation, out hostPortText);
        if (!int.TryParse(hostPortText, NumberStyles.None, CultureInfo.InvariantCulture, out var hostPort) || hostPort is < 1 or > 65535)
            throw new FormatException($"service.yaml: annotation {HostPortAnnotation} must be a port number (got '{hostPortText}').");
        var targetPort = service.Spec?.Ports is { Count: > 0 } servicePorts
            ? servicePorts[0].TargetPort is null ? servicePorts[0].Port : ResolvePort(servicePorts[0].TargetPort, "service.yaml spec.ports[0].targetPort")
            : throw new FormatException("service.yaml: spec.ports is empty.");
        if (!ports.Contains(targetPort)) ports.Add(targetPort);
        if (!ports.Contains(readiness.ContainerPort)) ports.Add(readiness.ContainerPort);

        var env = (container.Env ?? []).Select(e => e.ValueFrom is null
            ? $"{e.Name}={e.Value}"
            : throw new FormatException($"deployment.yaml: env {e.Name} uses valueFrom, which the docker backend does not support; give a value.")).ToList();

        var configMaps = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        if (manifests.ConfigMap.Metadata?.Name is { } configMapName)
            configMaps[configMapName] = new Dictionary<string, string>(manifests.ConfigMap.Data ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        var mounts = new List<ConfigMount>();
        var scratch = new List<string>();
        foreach (var mount in container.VolumeMounts ?? [])
        {
            var volume = pod.Volumes?.FirstOrDefault(v => v.Name == mount.Name)
                         ?? throw new FormatException($"deployment.yaml: volumeMount '{mount.Name}' names no volume of the pod.");
            if (volume.EmptyDir is not null)
            {
                scratch.Add(mount.MountPath);
                continue;
            }
            var source = volume.ConfigMap?.Name
                         ?? throw new FormatException($"deployment.yaml: volume '{volume.Name}' is neither a configMap nor an emptyDir; the docker backend mounts only those.");
            if (!configMaps.ContainsKey(source))
                throw new FormatException($"deployment.yaml: volume '{volume.Name}' mounts ConfigMap '{source}', but configmap.yaml defines '{manifests.ConfigMap.Metadata?.Name}'.");
            mounts.Add(new ConfigMount(source, mount.MountPath));
        }

        // Hardened unless the manifest says otherwise: where it is silent, a replica runs as a non-root user, on a
        // read-only root filesystem (with a tmpfs /tmp), without capabilities or privilege escalation, within a memory limit.
        var security = container.SecurityContext;
        var runAsUser = security?.RunAsUser ?? pod.SecurityContext?.RunAsUser;
        var runAsGroup = security?.RunAsGroup ?? pod.SecurityContext?.RunAsGroup;
        var user = runAsUser is null ? DefaultUser : runAsGroup is null ? $"{runAsUser}" : $"{runAsUser}:{runAsGroup}";
        var limits = container.Resources?.Limits;
        long? memory = limits?.TryGetValue("memory", out var m) == true ? (long)m.ToDecimal() : DefaultMemoryBytes;
        long? nanoCpus = limits?.TryGetValue("cpu", out var c) == true ? (long)(c.ToDecimal() * 1_000_000_000m) : null;

        var rollout = manifests.Rollout;
        return new WorkloadSpec(
            manifests.Environment, app, container.Image, deployment.Spec.Replicas ?? 1, HashTemplate(deployment.Spec.Template),
            ports, targetPort, hostPort, readiness, Probe(container.LivenessProbe, "livenessProbe"), env, user, mounts, scratch, configMaps,
            memory, nanoCpus, security?.ReadOnlyRootFilesystem ?? true, security?.AllowPrivilegeEscalation != true,
            security?.Capabilities?.Drop is not { } drop || drop.Contains("ALL"))
        {
            RollbackWindow = TimeSpan.FromSeconds(rollout.RollbackWindowSeconds),
            ReplaceUnreadyAfter = TimeSpan.FromSeconds(rollout.ReplaceUnreadyAfterSeconds),
        };
    }

    /// <summary>The user a replica runs as when the manifest names none (nobody:nogroup): never root by default.</summary>
    public const string DefaultUser = "65534:65534";

    /// <summary>The memory limit of a replica whose manifest sets none (512 MiB).</summary>
    public const long DefaultMemoryBytes = 512L * 1024 * 1024;

    static string HashTemplate(V1PodTemplateSpec template) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(KubernetesJson.Serialize(template))))[..16];
}
