using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.Tests.Manifests;

/// <summary>
/// What deploy/environments/*.yaml may not render (and the agent, validating the same way, may not apply): faults in
/// production, replicas over policy.maxReplicas, images outside policy.allowedRegistries. What is allowed still renders.
/// </summary>
public sealed class EnvironmentPolicyTests
{
    static ManifestException RenderFails(string environment, Func<string, string> edit)
    {
        using var deploy = DeployFolder.Copy();
        deploy.Edit($"environments/{environment}.yaml", edit);
        return Assert.Throws<ManifestException>(() => ManifestRenderer.Render(deploy.Path, environment, DeployFolder.Image));
    }

    static RenderedEnvironment Renders(string environment, Func<string, string> edit)
    {
        using var deploy = DeployFolder.Copy();
        deploy.Edit($"environments/{environment}.yaml", edit);
        return ManifestRenderer.Render(deploy.Path, environment, DeployFolder.Image);
    }

    const string FaultsOn = "\nsettings:\n  Faults:\n    Enabled: true\n    ErrorRate: 0.5\n";

    [Fact]
    public void Faults_are_refused_in_production_and_allowed_where_the_settings_turn_them_on()
    {
        Assert.Contains("Faults.Enabled is true; faults are never injected in production", RenderFails("production", text => text + FaultsOn).Message);

        var staging = Renders("staging", text => text.Replace("settings:\n  Serilog:\n    MinimumLevel: Debug\n", "", StringComparison.Ordinal) + FaultsOn);
        Assert.Contains("\"Enabled\": true", staging.Manifests.ConfigData["appsettings.json"], StringComparison.Ordinal);
    }

    [Fact]
    public void Replicas_over_the_policy_cap_are_refused_and_the_cap_is_rendered_for_the_agent()
    {
        Assert.Contains("replicas is 11, above policy.maxReplicas 10", RenderFails("staging",
            text => text.Replace("replicas: 2", "replicas: 11", StringComparison.Ordinal)).Message);

        var raised = Renders("staging", text => text.Replace("replicas: 2", "replicas: 11", StringComparison.Ordinal) + "\npolicy:\n  maxReplicas: 12\n");
        Assert.Equal("12", raised.Manifests.Deployment.Metadata.Annotations[SlipwayMetadata.MaxReplicasAnnotation]);
        Assert.Equal(11, raised.Manifests.Deployment.Spec.Replicas);
    }

    [Fact]
    public void An_image_outside_the_allowed_registries_is_refused()
    {
        var error = RenderFails("staging", text => text + "\npolicy:\n  allowedRegistries: [\"registry.example.com:443\"]\n");
        Assert.Contains("which is not allowed here (allowed: registry.example.com:443)", error.Message);

        var allowed = Renders("staging", text => text + "\npolicy:\n  allowedRegistries: [\"127.0.0.1:*\"]\n");
        Assert.Equal("127.0.0.1:*", allowed.Manifests.Deployment.Metadata.Annotations[SlipwayMetadata.AllowedRegistriesAnnotation]);
    }
}
