namespace Slipway.Delivery.Manifests;

/// <summary>The file names, labels and annotations the config repo contract fixes (see deploy/README.md).</summary>
public static class SlipwayMetadata
{
    public const string DeploymentFile = "deployment.yaml";
    public const string ServiceFile = "service.yaml";
    public const string ConfigMapFile = "configmap.yaml";
    public static readonly IReadOnlyList<string> EnvironmentFiles = [ConfigMapFile, DeploymentFile, ServiceFile];

    /// <summary>Folder of an environment inside the config repo, with forward slashes.</summary>
    public static string EnvironmentFolder(string environment) => $"environments/{environment}";

    public const string NameLabel = "app.kubernetes.io/name";
    public const string EnvironmentLabel = "slipway.dev/environment";
    public const string StrategyAnnotation = "slipway.dev/strategy";
    /// <summary>Canary steps as "weight:pauseSeconds,..." e.g. "10:30,50:30" (canary strategy only).</summary>
    public const string CanaryStepsAnnotation = "slipway.dev/canary-steps";
    /// <summary>On the Deployment: <see cref="RolloutSpec"/> as compact JSON (analysis, A/B audience, blue-green preview, gates).</summary>
    public const string RolloutAnnotation = "slipway.dev/rollout";
    public const string HostPortAnnotation = "slipway.dev/host-port";
    /// <summary>On the ConfigMap: <see cref="ConfigHash"/> of its data, what the service reports it runs with.</summary>
    public const string ConfigHashAnnotation = "slipway.dev/config-hash";
    /// <summary>
    /// On the ConfigMap: the flags SetFlag changed, as compact JSON {"flag id": "value"} (value as SetFlag takes it);
    /// a later render from deploy/ re-applies them (see <see cref="FlagChange.CarryOver"/>).
    /// </summary>
    public const string FlagOverridesAnnotation = "slipway.dev/flag-overrides";
    /// <summary>On the Deployment: the env var the image digest is passed in (so the service can report it).</summary>
    public const string DigestEnvAnnotation = "slipway.dev/image-digest-env";

    /// <summary>On the Deployment: enforce or audit, the environment's image signature policy (see EnvironmentSettings.Verification).</summary>
    public const string VerificationAnnotation = "slipway.dev/image-verification";
    public const string VerificationEnforce = "enforce";
    public const string VerificationAudit = "audit";
    public static readonly IReadOnlyList<string> VerificationModes = [VerificationEnforce, VerificationAudit];

    /// <summary>On the Deployment: the most replicas the environment may run (EnvironmentSettings.Policy.MaxReplicas).</summary>
    public const string MaxReplicasAnnotation = "slipway.dev/max-replicas";
    /// <summary>On the Deployment: the registries (host:port, comma-separated) its images may come from; absent: the agent's own list.</summary>
    public const string AllowedRegistriesAnnotation = "slipway.dev/allowed-registries";

    /// <summary>The environment where faults are never injected, whatever its settings say (Beacon's Faults:Enabled).</summary>
    public const string ProductionEnvironment = "production";

    /// <summary>The config repo's folder of public keys (*.pub) that image signatures are verified with; any one of them verifies.</summary>
    public const string KeysFolder = "keys";

    public static readonly IReadOnlyList<string> Strategies = ["rolling", "blue-green", "canary", "ab-testing"];
}
