using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.Tests.Manifests;

public sealed class ManifestRendererTests
{
    [Theory]
    [InlineData("staging")]
    [InlineData("production")]
    public void Rendering_twice_gives_byte_identical_files(string environment)
    {
        var first = ManifestRenderer.Render(DeployFolder.Repository, environment, DeployFolder.Image);
        var second = ManifestRenderer.Render(DeployFolder.Repository, environment, DeployFolder.Image);

        Assert.Equal(["configmap.yaml", "deployment.yaml", "service.yaml"], first.Files.Keys);
        foreach (var (name, text) in first.Files)
            Assert.Equal(System.Text.Encoding.UTF8.GetBytes(text), System.Text.Encoding.UTF8.GetBytes(second.Files[name]));
        Assert.DoesNotContain("creationTimestamp", string.Concat(first.Files.Values));
        Assert.DoesNotContain("\r", string.Concat(first.Files.Values));
    }

    [Fact]
    public void Written_folder_loads_back_to_the_same_valid_manifests()
    {
        var rendered = ManifestRenderer.Render(DeployFolder.Repository, "staging", DeployFolder.Image);
        var folder = Path.Combine(Path.GetTempPath(), "slipway-render-" + Guid.NewGuid().ToString("N"), "staging");
        try
        {
            File.WriteAllText(Path.Combine(Directory.CreateDirectory(folder).FullName, "stale.yaml"), "left over");
            rendered.WriteTo(folder);

            Assert.Equal(["configmap.yaml", "deployment.yaml", "service.yaml"],
                Directory.EnumerateFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            var loaded = EnvironmentManifests.Load(folder);
            Assert.Empty(ManifestValidator.Validate(loaded));
            Assert.Equal(DeployFolder.Image, loaded.Image);
            Assert.Equal(8081, loaded.HostPort);
            Assert.Equal(rendered.ConfigHash, ConfigHash.Compute(loaded.ConfigData));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(folder)!, recursive: true);
        }
    }

    [Fact]
    public void Environment_settings_are_applied()
    {
        var staging = ManifestRenderer.Render(DeployFolder.Repository, "staging", DeployFolder.Image).Manifests;
        var production = ManifestRenderer.Render(DeployFolder.Repository, "production", DeployFolder.Image).Manifests;

        Assert.Equal(2, staging.Deployment.Spec.Replicas);
        Assert.Equal(3, production.Deployment.Spec.Replicas);
        Assert.Equal("rolling", staging.Strategy);
        Assert.Equal("canary", production.Strategy);
        Assert.Equal("10:5,25:5,50:5", production.Deployment.Metadata.Annotations[SlipwayMetadata.CanaryStepsAnnotation]);
        Assert.Equal(40, production.Rollout.Analysis.LoadRps);
        Assert.Equal(0.01, production.Rollout.Analysis.MaxErrorRate);
        Assert.Equal(8080, production.HostPort);
        foreach (var manifests in new[] { staging, production })
        {
            Assert.All(new k8s.Models.V1ObjectMeta[] { manifests.Deployment.Metadata, manifests.Service.Metadata, manifests.ConfigMap.Metadata },
                metadata => Assert.Equal(manifests.Environment, metadata.NamespaceProperty));
            Assert.Equal(manifests.Environment, manifests.Deployment.Spec.Template.Metadata.Labels[SlipwayMetadata.EnvironmentLabel]);
            var container = Assert.Single(manifests.Deployment.Spec.Template.Spec.Containers);
            Assert.Equal(DeployFolder.Digest, container.Env.Single(variable => variable.Name == "BEACON_IMAGE_DIGEST").Value);
            Assert.Equal("http", manifests.Service.Spec.Ports[0].TargetPort.Value);
        }

        var stagingConfig = System.Text.Json.Nodes.JsonNode.Parse(staging.ConfigData["appsettings.json"])!;
        var productionConfig = System.Text.Json.Nodes.JsonNode.Parse(production.ConfigData["appsettings.json"])!;
        Assert.True(Flag(stagingConfig, "Greeting.V2")["enabled"]!.GetValue<bool>());
        Assert.False(Flag(productionConfig, "Greeting.V2")["enabled"]!.GetValue<bool>());
        Assert.Equal("Debug", stagingConfig["Serilog"]!["MinimumLevel"]!.GetValue<string>());
        Assert.Equal("Information", productionConfig["Serilog"]!["MinimumLevel"]!.GetValue<string>());
        Assert.Equal(0, stagingConfig["Faults"]!["ErrorRate"]!.GetValue<int>());
        Assert.NotEqual(ConfigHash.Compute(staging.ConfigData), ConfigHash.Compute(production.ConfigData));
    }

    [Fact]
    public void Flag_and_settings_overrides_reach_the_config_file()
    {
        using var deploy = DeployFolder.Copy();
        deploy.Edit("environments/staging.yaml", text => text.Replace("flags:\n", """
            flags:
              Greeting.Style:
                enabled: true
                defaultVariant: Casual

            """.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal) + "  Faults:\n    ErrorRate: 0.25\n");

        var config = System.Text.Json.Nodes.JsonNode.Parse(ManifestRenderer.Render(deploy.Path, "staging", DeployFolder.Image).Manifests.ConfigData["appsettings.json"])!;

        var style = Flag(config, "Greeting.Style");
        Assert.True(style["enabled"]!.GetValue<bool>());
        Assert.Equal("Casual", style["allocation"]!["default_when_enabled"]!.GetValue<string>());
        Assert.True(Flag(config, "Greeting.V2")["enabled"]!.GetValue<bool>());
        Assert.Equal(0.25m, config["Faults"]!["ErrorRate"]!.GetValue<decimal>());
        Assert.Equal(0, config["Faults"]!["LatencyMs"]!.GetValue<int>());
        Assert.Equal("Debug", config["Serilog"]!["MinimumLevel"]!.GetValue<string>());
    }

    private static System.Text.Json.Nodes.JsonNode Flag(System.Text.Json.Nodes.JsonNode config, string id) =>
        config["feature_management"]!["feature_flags"]!.AsArray().Single(flag => flag!["id"]!.GetValue<string>() == id)!;

    [Fact]
    public void A_different_digest_changes_only_the_image_lines()
    {
        var before = ManifestRenderer.Render(DeployFolder.Repository, "staging", DeployFolder.Image);
        var otherDigest = "sha256:" + new string('f', 64);
        var after = ManifestRenderer.Render(DeployFolder.Repository, "staging", "127.0.0.1:5000/beacon@" + otherDigest);

        Assert.Equal(before.Files["service.yaml"], after.Files["service.yaml"]);
        Assert.Equal(before.Files["configmap.yaml"], after.Files["configmap.yaml"]);
        var changed = before.Files["deployment.yaml"].Split('\n').Except(after.Files["deployment.yaml"].Split('\n')).ToList();
        Assert.Equal(2, changed.Count);
        Assert.All(changed, line => Assert.Contains(DeployFolder.Digest, line));
    }
}
