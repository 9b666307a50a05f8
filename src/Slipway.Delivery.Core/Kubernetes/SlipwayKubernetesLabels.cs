namespace Slipway.Delivery.Kubernetes;

/// <summary>Labels and names by which Slipway marks and finds the objects it owns in a cluster.</summary>
public static class SlipwayKubernetesLabels
{
    public const string FieldManager = "slipway";
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "slipway";
    /// <summary>Same label the manifests carry (<see cref="Manifests.SlipwayMetadata.EnvironmentLabel"/>).</summary>
    public const string EnvironmentLabel = Manifests.SlipwayMetadata.EnvironmentLabel;
    /// <summary>Blue-green: the colour of a Deployment's pods, and the Service selector that picks one.</summary>
    public const string ColorLabel = "slipway.dev/color";
    /// <summary>Canary: "stable" or "canary" on the pods of each track.</summary>
    public const string TrackLabel = "slipway.dev/track";
    /// <summary>The ConfigMap in each environment namespace listing what Slipway applied there (for prune).</summary>
    public const string InventoryConfigMapName = "slipway-inventory";
    public const string InventoryDataKey = "objects";

    /// <summary>Selects everything Slipway owns in one environment.</summary>
    public static string OwnedSelector(string environment) => $"{ManagedByLabel}={ManagedByValue},{EnvironmentLabel}={environment}";
}
