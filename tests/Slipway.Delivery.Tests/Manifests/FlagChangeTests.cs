using System.Text.Json.Nodes;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Tests.ConfigRepo;

namespace Slipway.Delivery.Tests.Manifests;

/// <summary>SetFlag's edit of an environment's ConfigMap, and its carry-over when the environment is rendered again.</summary>
public sealed class FlagChangeTests
{
    private const string Source = "environments/production/configmap.yaml";

    private static string ProductionConfigMap(string image = DeployFolder.Image) =>
        ManifestRenderer.Render(DeployFolder.Repository, "production", image).Files[SlipwayMetadata.ConfigMapFile];

    private static k8s.Models.V1ConfigMap Parse(string yaml) => k8s.KubernetesYaml.Deserialize<k8s.Models.V1ConfigMap>(yaml);

    private static JsonObject Flag(string configMapYaml, string id) =>
        JsonNode.Parse(Parse(configMapYaml).Data["appsettings.json"])!["feature_management"]!["feature_flags"]!.AsArray()
            .OfType<JsonObject>().Single(flag => flag["id"]!.GetValue<string>() == id);

    /// <summary>The file as the agent would read it: parses in a full environment and passes the validator (config hash included).</summary>
    private static void AssertValidWithMatchingHash(string configMapYaml)
    {
        var rendered = ManifestRenderer.Render(DeployFolder.Repository, "production", DeployFolder.Image);
        var files = rendered.Files.ToDictionary();
        files[SlipwayMetadata.ConfigMapFile] = configMapYaml;
        var manifests = EnvironmentManifests.Parse("production", files);
        Assert.Empty(ManifestValidator.Validate(manifests));
        Assert.Equal(ConfigHash.Compute(manifests.ConfigData), manifests.ConfigMap.Metadata.Annotations[SlipwayMetadata.ConfigHashAnnotation]);
    }

    [Theory]
    [InlineData("on", FlagValueKind.On, "on")]
    [InlineData(" ON ", FlagValueKind.On, "on")]
    [InlineData("true", FlagValueKind.On, "on")]
    [InlineData("off", FlagValueKind.Off, "off")]
    [InlineData("false", FlagValueKind.Off, "off")]
    [InlineData("30%", FlagValueKind.Percentage, "30%")]
    [InlineData("0%", FlagValueKind.Percentage, "0%")]
    [InlineData("100%", FlagValueKind.Percentage, "100%")]
    [InlineData("Formal=70,Casual=30", FlagValueKind.Variants, "Formal=70,Casual=30")]
    [InlineData("Formal = 70% , Casual=30%", FlagValueKind.Variants, "Formal=70,Casual=30")]
    [InlineData("Casual=100", FlagValueKind.Variants, "Casual=100")]
    public void Values_parse_to_their_canonical_spelling(string text, FlagValueKind kind, string canonical)
    {
        var value = FlagValue.Parse("Greeting.Style", text);

        Assert.Equal(kind, value.Kind);
        Assert.Equal(canonical, value.ToString());
        Assert.Equal(value, FlagValue.Parse("Greeting.Style", canonical));
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("maybe", "is not understood")]
    [InlineData("130%", "0% to 100%")]
    [InlineData("-5%", "0% to 100%")]
    [InlineData("12.5%", "0% to 100%")]
    [InlineData("Formal=70,Casual=20", "adds up to 90%")]
    [InlineData("Formal=70,Formal=30", "twice")]
    [InlineData("Formal=x,Casual=30", "'Formal=x'")]
    [InlineData("=100", "'=100'")]
    public void Bad_values_are_refused_naming_the_flag_and_the_forms(string text, string reason)
    {
        var error = Assert.Throws<ManifestException>(() => FlagValue.Parse("Greeting.Style", text));

        Assert.Contains("flag 'Greeting.Style'", error.Message);
        Assert.Contains(reason, error.Message);
        Assert.Contains("Formal=70,Casual=30", error.Message);   // the fix: the forms, with an example
    }

    [Theory]
    [InlineData("on")]
    [InlineData("off")]
    [InlineData("30%")]
    [InlineData("Casual=100")]
    [InlineData("Formal=70,Casual=30")]
    public void Current_values_read_back_what_set_wrote(string value)
    {
        var after = FlagChange.Set(ProductionConfigMap(), Source, "Greeting.Style", FlagValue.Parse("Greeting.Style", value));

        var current = FlagChange.CurrentValues(Parse(after));

        Assert.Equal([("Greeting.Style", value), ("Greeting.V2", "off")], current);
    }

    [Fact]
    public void A_flag_edited_by_hand_into_an_allocation_set_flag_cannot_write_reads_as_unrecognised_not_as_a_guess()
    {
        var configMap = Parse(ProductionConfigMap());
        var settings = JsonNode.Parse(configMap.Data["appsettings.json"])!;
        var style = settings["feature_management"]!["feature_flags"]!.AsArray().OfType<JsonObject>().Single(f => f["id"]!.GetValue<string>() == "Greeting.Style");
        style["enabled"] = true;
        style["allocation"] = JsonNode.Parse("""{"percentile":[{"variant":"Formal","from":0,"to":40}]}""");
        configMap.Data["appsettings.json"] = settings.ToJsonString();

        Assert.Equal("unrecognised (set it with SetFlag)", FlagChange.CurrentValues(configMap).Single(f => f.Flag == "Greeting.Style").Value);
    }

    [Fact]
    public void On_enables_the_flag_for_everyone_and_records_the_change()
    {
        var before = ProductionConfigMap();
        Assert.False(Flag(before, "Greeting.V2")["enabled"]!.GetValue<bool>());

        var after = FlagChange.Set(before, Source, "Greeting.V2", FlagValue.On);

        Assert.True(Flag(after, "Greeting.V2")["enabled"]!.GetValue<bool>());
        Assert.Null(Flag(after, "Greeting.V2")["conditions"]);
        Assert.Equal("""{"Greeting.V2":"on"}""", Parse(after).Metadata.Annotations[SlipwayMetadata.FlagOverridesAnnotation]);
        AssertValidWithMatchingHash(after);
        Assert.NotEqual(Parse(before).Metadata.Annotations[SlipwayMetadata.ConfigHashAnnotation],
            Parse(after).Metadata.Annotations[SlipwayMetadata.ConfigHashAnnotation]);
        // Exactly that flag: the other flag and the settings are untouched.
        Assert.Equal(Flag(before, "Greeting.Style").ToJsonString(), Flag(after, "Greeting.Style").ToJsonString());
        var settingsBefore = JsonNode.Parse(Parse(before).Data["appsettings.json"])!.AsObject();
        var settingsAfter = JsonNode.Parse(Parse(after).Data["appsettings.json"])!.AsObject();
        settingsBefore.Remove("feature_management");
        settingsAfter.Remove("feature_management");
        Assert.Equal(settingsBefore.ToJsonString(), settingsAfter.ToJsonString());
    }

    [Fact]
    public void A_percentage_turns_the_flag_on_for_that_share_of_users_through_targeting()
    {
        var after = FlagChange.Set(ProductionConfigMap(), Source, "Greeting.V2", FlagValue.Parse("Greeting.V2", "30%"));

        var flag = Flag(after, "Greeting.V2");
        Assert.True(flag["enabled"]!.GetValue<bool>());
        var filter = Assert.Single(flag["conditions"]!["client_filters"]!.AsArray())!;
        Assert.Equal("Microsoft.Targeting", filter["name"]!.GetValue<string>());
        Assert.Equal(30, filter["parameters"]!["Audience"]!["DefaultRolloutPercentage"]!.GetValue<int>());
        AssertValidWithMatchingHash(after);
    }

    [Fact]
    public void A_variant_allocation_lays_out_percentile_ranges_in_the_given_order_and_keeps_the_declared_rest()
    {
        var after = FlagChange.Set(ProductionConfigMap(), Source, "Greeting.Style", FlagValue.Parse("Greeting.Style", "Formal=70,Casual=30"));

        var flag = Flag(after, "Greeting.Style");
        Assert.True(flag["enabled"]!.GetValue<bool>());
        Assert.Equal("""[{"variant":"Formal","from":0,"to":70},{"variant":"Casual","from":70,"to":100}]""",
            flag["allocation"]!["percentile"]!.ToJsonString());
        Assert.Equal("Formal", flag["allocation"]!["default_when_enabled"]!.GetValue<string>());
        Assert.Equal(2, flag["variants"]!.AsArray().Count);
        AssertValidWithMatchingHash(after);

        // A 0% variant gets no range; off keeps the declared default but drops the split.
        var casualOnly = FlagChange.Set(after, Source, "Greeting.Style", FlagValue.Parse("Greeting.Style", "Formal=0,Casual=100"));
        Assert.Equal("""[{"variant":"Casual","from":0,"to":100}]""", Flag(casualOnly, "Greeting.Style")["allocation"]!["percentile"]!.ToJsonString());
        var off = FlagChange.Set(casualOnly, Source, "Greeting.Style", FlagValue.Off);
        Assert.False(Flag(off, "Greeting.Style")["enabled"]!.GetValue<bool>());
        Assert.Equal("""{"default_when_enabled":"Formal"}""", Flag(off, "Greeting.Style")["allocation"]!.ToJsonString());
        Assert.Equal("""{"Greeting.Style":"off"}""", Parse(off).Metadata.Annotations[SlipwayMetadata.FlagOverridesAnnotation]);
    }

    [Fact]
    public void An_unknown_flag_is_refused_naming_it_and_the_declared_flags()
    {
        var error = Assert.Throws<ManifestException>(() => FlagChange.Set(ProductionConfigMap(), Source, "Greeting.V3", FlagValue.On));

        Assert.Contains("'Greeting.V3'", error.Message);
        Assert.Contains("Greeting.Style, Greeting.V2", error.Message);
        Assert.Contains(Source, error.Message);
    }

    [Fact]
    public void An_unknown_variant_is_refused_naming_the_flag_s_variants()
    {
        var error = Assert.Throws<ManifestException>(() =>
            FlagChange.Set(ProductionConfigMap(), Source, "Greeting.Style", FlagValue.Parse("Greeting.Style", "Formal=50,Pirate=50")));

        Assert.Contains("'Greeting.Style'", error.Message);
        Assert.Contains("'Pirate'", error.Message);
        Assert.Contains("variants: Formal, Casual", error.Message);
    }

    [Fact]
    public void A_variant_allocation_for_a_flag_without_variants_is_refused()
    {
        var error = Assert.Throws<ManifestException>(() =>
            FlagChange.Set(ProductionConfigMap(), Source, "Greeting.V2", FlagValue.Parse("Greeting.V2", "A=50,B=50")));

        Assert.Contains("'Greeting.V2' has no variants", error.Message);
        Assert.Contains("use on, off or a percentage", error.Message);
    }

    [Fact]
    public void Reset_restores_the_declared_flag_and_forgets_its_change_leaving_the_others()
    {
        var declared = ProductionConfigMap();
        var current = FlagChange.Set(declared, Source, "Greeting.V2", FlagValue.Parse("Greeting.V2", "30%"));
        current = FlagChange.Set(current, Source, "Greeting.Style", FlagValue.On);

        var reset = FlagChange.Reset(current, Source, "Greeting.V2", declared);

        Assert.Equal(Flag(declared, "Greeting.V2").ToJsonString(), Flag(reset, "Greeting.V2").ToJsonString());
        Assert.Equal(Flag(current, "Greeting.Style").ToJsonString(), Flag(reset, "Greeting.Style").ToJsonString());
        Assert.Equal("""{"Greeting.Style":"on"}""", Parse(reset).Metadata.Annotations[SlipwayMetadata.FlagOverridesAnnotation]);
        AssertValidWithMatchingHash(reset);
        // Both handed back: the file is deploy/'s render again, byte for byte.
        Assert.Equal(declared, FlagChange.Reset(reset, Source, "Greeting.Style", declared));
        var error = Assert.Throws<ManifestException>(() => FlagChange.Reset(reset, Source, "Greeting.V3", declared));
        Assert.Contains("'Greeting.V3'", error.Message);
        Assert.Contains("Greeting.Style, Greeting.V2", error.Message);
    }

    [Fact]
    public void A_re_render_from_deploy_carries_the_changes_over_byte_for_byte_whatever_came_before()
    {
        var log = new CollectingSink();
        // History of changes, each on top of the last; only the last value per flag counts.
        var current = ProductionConfigMap();
        foreach (var (flag, value) in new[]
                 {
                     ("Greeting.Style", "Formal=70,Casual=30"), ("Greeting.V2", "on"), ("Greeting.Style", "on"),
                     ("Greeting.V2", "30%"), ("Greeting.Style", "Casual=40,Formal=60"),
                 })
            current = FlagChange.Set(current, Source, flag, FlagValue.Parse(flag, value));

        // A later deploy renders deploy/ again (a new image): the flags survive, and the ConfigMap is byte-identical.
        const string newImage = "127.0.0.1:5000/beacon@sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
        var rerendered = ManifestRenderer.Render(DeployFolder.Repository, "production", newImage);
        Assert.NotEqual(current, rerendered.Files[SlipwayMetadata.ConfigMapFile]);   // deploy/ alone says Greeting.V2 off

        var carried = FlagChange.CarryOver(rerendered, current, Source, log.Logger());

        Assert.Equal(current, carried.Files[SlipwayMetadata.ConfigMapFile]);
        Assert.Equal(rerendered.Files[SlipwayMetadata.DeploymentFile], carried.Files[SlipwayMetadata.DeploymentFile]);
        Assert.Equal(ConfigHash.Compute(carried.Manifests.ConfigData), carried.ConfigHash);
        Assert.Equal("""{"Greeting.Style":"Casual=40,Formal=60","Greeting.V2":"30%"}""",
            carried.Manifests.ConfigMap.Metadata.Annotations[SlipwayMetadata.FlagOverridesAnnotation]);
        Assert.Contains("Carried over flag changes of production", log.Text);
    }

    [Fact]
    public void Without_recorded_changes_the_render_is_committed_as_rendered()
    {
        var rendered = ManifestRenderer.Render(DeployFolder.Repository, "production", DeployFolder.Image);

        Assert.Same(rendered, FlagChange.CarryOver(rendered, null, Source, new CollectingSink().Logger()));
        Assert.Same(rendered, FlagChange.CarryOver(rendered, ProductionConfigMap(), Source, new CollectingSink().Logger()));
    }

    [Fact]
    public void A_change_to_a_flag_deploy_no_longer_declares_is_dropped_with_a_warning_and_the_others_kept()
    {
        var log = new CollectingSink();
        var current = FlagChange.Set(ProductionConfigMap(), Source, "Greeting.V2", FlagValue.On);
        current = FlagChange.Set(current, Source, "Greeting.Style", FlagValue.Parse("Greeting.Style", "Formal=50,Casual=50"));
        using var deploy = DeployFolder.Copy();
        // deploy/ retires Greeting.Style.
        deploy.Edit("base/configmap.yaml", text =>
        {
            var start = text.IndexOf("          {\n            \"id\": \"Greeting.Style\"", StringComparison.Ordinal);
            var end = text.IndexOf("          }\n        ]", start, StringComparison.Ordinal) + "          }\n".Length;
            return text[..start].TrimEnd().TrimEnd(',') + "\n" + text[end..];
        });
        var rendered = ManifestRenderer.Render(deploy.Path, "production", DeployFolder.Image);

        var carried = FlagChange.CarryOver(rendered, current, Source, log.Logger());

        Assert.Equal("""{"Greeting.V2":"on"}""", carried.Manifests.ConfigMap.Metadata.Annotations[SlipwayMetadata.FlagOverridesAnnotation]);
        Assert.True(Flag(carried.Files[SlipwayMetadata.ConfigMapFile], "Greeting.V2")["enabled"]!.GetValue<bool>());
        Assert.Contains("Greeting.Style=Formal=50,Casual=50 of production no longer fits deploy/ and is dropped", log.Text);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""["Greeting.V2"]""")]
    [InlineData("""{"Greeting.V2": true}""")]
    public void A_malformed_record_fails_the_render_naming_the_annotation(string annotation)
    {
        var configMap = Parse(FlagChange.Set(ProductionConfigMap(), Source, "Greeting.V2", FlagValue.On));
        configMap.Metadata.Annotations[SlipwayMetadata.FlagOverridesAnnotation] = annotation;
        var rendered = ManifestRenderer.Render(DeployFolder.Repository, "production", DeployFolder.Image);

        var error = Assert.Throws<ManifestException>(() =>
            FlagChange.CarryOver(rendered, ManifestYaml.Serialize(configMap), Source, new CollectingSink().Logger()));

        Assert.Contains(SlipwayMetadata.FlagOverridesAnnotation, error.Message);
        Assert.Contains(Source, error.Message);
    }
}
