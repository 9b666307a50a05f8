using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.Tests.Manifests;

public sealed class EnvironmentSettingsTests
{
    private static ManifestException RenderFailsAfter(string file, Func<string, string> edit, string environment = "staging")
    {
        using var deploy = DeployFolder.Copy();
        deploy.Edit(file, edit);
        return Assert.Throws<ManifestException>(() => ManifestRenderer.Render(deploy.Path, environment, DeployFolder.Image));
    }

    [Fact]
    public void An_unknown_field_is_an_error_naming_file_and_line()
    {
        var exception = RenderFailsAfter("environments/staging.yaml", text => text.Replace("replicas:", "replica:", StringComparison.Ordinal));
        Assert.Contains("staging.yaml (line", exception.Message);
        Assert.Contains("replica", exception.Message);
    }

    [Fact]
    public void A_host_port_out_of_range_is_an_error() =>
        Assert.Contains("hostPort is 70000", RenderFailsAfter("environments/staging.yaml",
            text => text.Replace("hostPort: 8081", "hostPort: 70000", StringComparison.Ordinal)).Message);

    [Fact]
    public void Two_environments_on_one_host_port_is_an_error() =>
        Assert.Contains("hostPort 8080 is also production.yaml's", RenderFailsAfter("environments/staging.yaml",
            text => text.Replace("hostPort: 8081", "hostPort: 8080", StringComparison.Ordinal)).Message);

    [Fact]
    public void An_unknown_strategy_is_an_error() =>
        Assert.Contains("strategy.type is 'big-bang'", RenderFailsAfter("environments/staging.yaml",
            text => text.Replace("type: rolling", "type: big-bang", StringComparison.Ordinal)).Message);

    [Fact]
    public void Canary_steps_must_increase() =>
        Assert.Contains("weight 25 must be greater than the previous step's (50)", RenderFailsAfter("environments/production.yaml",
            text => text.Replace("weight: 10", "weight: 60", StringComparison.Ordinal).Replace("weight: 50", "weight: 10", StringComparison.Ordinal)
                        .Replace("weight: 60", "weight: 50", StringComparison.Ordinal), "production").Message);

    [Fact]
    public void Blue_green_needs_a_preview_port() =>
        Assert.Contains("strategy.blueGreen is missing", RenderFailsAfter("environments/staging.yaml",
            text => text.Replace("type: rolling", "type: blue-green", StringComparison.Ordinal)).Message);

    [Fact]
    public void An_analysis_threshold_out_of_range_is_an_error_naming_the_field() =>
        Assert.Contains("strategy.analysis.maxErrorRate is 5", RenderFailsAfter("environments/production.yaml",
            text => text.Replace("maxErrorRate: 0.01", "maxErrorRate: 5", StringComparison.Ordinal), "production").Message);

    [Fact]
    public void The_rollback_window_and_the_unready_limit_reach_the_rollout_annotation()
    {
        using var deploy = DeployFolder.Copy();
        deploy.Edit("environments/staging.yaml", text => text.Replace("rollbackWindowSeconds: 120", "rollbackWindowSeconds: 45\nreplaceUnreadyAfterSeconds: 20", StringComparison.Ordinal));

        var rollout = ManifestRenderer.Render(deploy.Path, "staging", DeployFolder.Image).Manifests.Rollout;

        Assert.Equal((45, 20), (rollout.RollbackWindowSeconds, rollout.ReplaceUnreadyAfterSeconds));
    }

    [Fact]
    public void Without_the_settings_there_is_no_rollback_window_and_an_unready_replica_is_replaced_after_a_minute()
    {
        var rollout = EnvironmentSettings.Parse("hostPort: 8081\n", "test.yaml").Rollout;

        Assert.Equal((0, 60), (rollout.RollbackWindowSeconds, rollout.ReplaceUnreadyAfterSeconds));
    }

    [Theory]
    [InlineData("rollbackWindowSeconds: -1", "rollbackWindowSeconds is -1; use 0")]
    [InlineData("rollbackWindowSeconds: 90000", "rollbackWindowSeconds is 90000; use 0")]
    [InlineData("replaceUnreadyAfterSeconds: 3", "replaceUnreadyAfterSeconds is 3; use 10 or more")]
    public void A_rollback_window_or_unready_limit_out_of_range_is_an_error_naming_the_field(string line, string expected) =>
        Assert.Contains($"staging.yaml: {expected}", RenderFailsAfter("environments/staging.yaml",
            text => text.Replace("rollbackWindowSeconds: 120", line, StringComparison.Ordinal)).Message);

    [Fact]
    public void An_unknown_flag_is_an_error_listing_the_known_ones()
    {
        var exception = RenderFailsAfter("environments/staging.yaml", text => text.Replace("Greeting.V2:", "Greeting.V3:", StringComparison.Ordinal));
        Assert.Contains("flags.Greeting.V3: no such feature flag", exception.Message);
        Assert.Contains("Greeting.V2, Greeting.Style", exception.Message);
    }

    [Fact]
    public void An_unknown_variant_is_an_error() =>
        Assert.Contains("defaultVariant 'Shouty' is not a variant of the flag (variants: Formal, Casual)", RenderFailsAfter("environments/staging.yaml",
            text => text.Replace("flags:\n", "flags:\n  Greeting.Style:\n    defaultVariant: Shouty\n", StringComparison.Ordinal)).Message);

    [Fact]
    public void A_missing_environment_lists_the_known_ones()
    {
        var exception = Assert.Throws<ManifestException>(() => ManifestRenderer.Render(DeployFolder.Repository, "qa", DeployFolder.Image));
        Assert.Contains("no settings for this environment", exception.Message);
        Assert.Contains("production, staging", exception.Message);
    }

    [Fact]
    public void An_invalid_environment_name_is_an_error() =>
        Assert.Contains("environment name 'Staging!' is invalid",
            Assert.Throws<ManifestException>(() => ManifestRenderer.Render(DeployFolder.Repository, "Staging!", DeployFolder.Image)).Message);

    [Fact]
    public void Settings_keep_yaml_types_in_json()
    {
        var settings = EnvironmentSettings.Parse("hostPort: 8081\nsettings:\n  Faults:\n    ErrorRate: 0.25\n    LatencyMs: 100\n  Greeting:\n    Message: \"42\"\n    Enabled: true\n", "test.yaml");
        var faults = settings.Settings!["Faults"]!;
        Assert.Equal(0.25m, faults["ErrorRate"]!.GetValue<decimal>());
        Assert.Equal(100, faults["LatencyMs"]!.GetValue<long>());
        Assert.Equal("42", settings.Settings["Greeting"]!["Message"]!.GetValue<string>());
        Assert.True(settings.Settings["Greeting"]!["Enabled"]!.GetValue<bool>());
    }
}
