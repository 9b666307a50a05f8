using Slipway.Delivery.Manifests;
using Slipway.Delivery.Tests.Manifests;

namespace Slipway.Delivery.Tests.Kubernetes;

/// <summary>Beacon's real manifests rendered from deploy/, moved to a test's own environment (namespace).</summary>
internal static class TestManifests
{
    public static string Image(char digit) => "127.0.0.1:5000/beacon@sha256:" + new string(digit, 64);

    public static EnvironmentManifests For(string environment, string image, string strategy = "rolling", int replicas = 2, string? canarySteps = null)
    {
        var manifests = ManifestRenderer.Render(DeployFolder.Repository, "staging", image).Manifests;
        foreach (var metadata in new[] { manifests.Deployment.Metadata, manifests.Service.Metadata, manifests.ConfigMap.Metadata })
        {
            metadata.NamespaceProperty = environment;
            metadata.Labels[SlipwayMetadata.EnvironmentLabel] = environment;
        }
        manifests.Service.Spec.Selector[SlipwayMetadata.EnvironmentLabel] = environment;
        manifests.Deployment.Spec.Template.Metadata.Labels[SlipwayMetadata.EnvironmentLabel] = environment;
        if (manifests.Deployment.Spec.Selector.MatchLabels.ContainsKey(SlipwayMetadata.EnvironmentLabel))
            manifests.Deployment.Spec.Selector.MatchLabels[SlipwayMetadata.EnvironmentLabel] = environment;
        manifests.Deployment.Spec.Replicas = replicas;
        manifests.Deployment.Metadata.Annotations[SlipwayMetadata.StrategyAnnotation] = strategy;
        if (canarySteps is not null) manifests.Deployment.Metadata.Annotations[SlipwayMetadata.CanaryStepsAnnotation] = canarySteps;
        else manifests.Deployment.Metadata.Annotations.Remove(SlipwayMetadata.CanaryStepsAnnotation);
        return manifests with { Environment = environment };
    }
}
