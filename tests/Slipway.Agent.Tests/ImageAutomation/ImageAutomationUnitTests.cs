using Microsoft.Extensions.Configuration;
using System.Text;
using System.Text.Json;
using Slipway.Agent.ImageAutomation;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.Manifests;

namespace Slipway.Agent.Tests.ImageAutomation;

/// <summary>The rules file, the re-render of an environment with a new digest, registry notifications and the webhook token.</summary>
public sealed class ImageAutomationUnitTests
{
    const string ImageA = "127.0.0.1:5000/beacon@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const string ImageB = "127.0.0.1:5000/beacon@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    [Fact]
    public void The_rules_file_gives_one_rule_per_environment()
    {
        var rules = ImageAutomationRules.Parse("""
            environments:
              staging:
                image: 127.0.0.1:5000/beacon
                policy:
                  semver: { range: ">=1.0.0 <2.0.0" }
              production:
                image: registry.example.com:5000/team/beacon
                filterTags: { pattern: '^main-[0-9a-f]+-(?<ts>[0-9]+)$', extract: '$ts' }
                policy:
                  numerical: { order: asc }
            """, "automation.yaml");

        Assert.Equal(["production", "staging"], rules.Select(rule => rule.Environment));
        var production = rules[0];
        Assert.Equal(("registry.example.com:5000", "team/beacon"), (production.Repository.Registry, production.Repository.Repository));
        Assert.Equal(TagOrdering.Numerical, production.Policy.Ordering);
        Assert.True(production.Watches("team/beacon"));
        Assert.False(production.Watches("beacon"));
        Assert.Equal(TagOrdering.Semver, rules[1].Policy.Ordering);
        Assert.Equal("1.5.0", rules[1].Policy.SelectLatest(["1.5.0", "2.0.0"])!.Tag);
    }

    [Theory]
    [InlineData("environments:\n  staging:\n    image: 127.0.0.1:5000/beacon\n    policy:\n      semvr: { range: '1.x' }\n", "Property 'semvr' not found")]
    [InlineData("environments:\n  staging:\n    image: 127.0.0.1:5000/beacon\n", "environments.staging.policy is missing")]
    [InlineData("environments:\n  staging:\n    image: 127.0.0.1:5000/beacon:1.0.0\n    policy:\n      semver: { range: '1.x' }\n", "names a tag or digest")]
    [InlineData("environments:\n  Staging:\n    image: 127.0.0.1:5000/beacon\n    policy:\n      semver: { range: '1.x' }\n", "'Staging' is not a valid environment name")]
    [InlineData("environments:\n  staging:\n    image: b\n    policy:\n      numerical: { order: up }\n      semver: { range: '1.x' }\n", "has semver and numerical")]
    [InlineData("environments:\n  staging:\n    image: b\n    policy:\n      numerical: { order: up }\n", "order 'up' is not an order")]
    [InlineData("{}", "no environments")]
    public void A_bad_rules_file_is_refused_naming_the_file_and_field(string yaml, string expected)
    {
        var error = Assert.Throws<ImagePolicyException>(() => ImageAutomationRules.Parse(yaml, "automation.yaml"));
        Assert.Contains("automation.yaml", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Image_automation_options_come_from_the_command_line_or_the_environment()
    {
        var off = AgentOptions.From(new ConfigurationBuilder().Build());
        Assert.Equal((null, TimeSpan.FromSeconds(60), null), (off.ImageAutomation, off.ImageScanInterval, off.RegistryWebhookToken));

        var fromArgs = AgentOptions.From(new ConfigurationBuilder()
            .AddCommandLine(["--root", "/repo", "--image-automation", "deploy/automation.yaml", "--image-scan-interval", "15", "--registry-webhook-token", "t"],
                AgentOptions.SwitchMappings.ToDictionary())
            .Build());
        Assert.Equal(("/repo/deploy/automation.yaml", TimeSpan.FromSeconds(15), "t"),
            (fromArgs.ImageAutomation, fromArgs.ImageScanInterval, fromArgs.RegistryWebhookToken));

        var fromEnvironment = AgentOptions.From(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["SLIPWAY_AGENT_REGISTRY_WEBHOOK_TOKEN"] = "from-env",
                ["SLIPWAY_AGENT_IMAGE_SCAN_INTERVAL"] = "00:02:00",
            }).Build());
        Assert.Equal(("from-env", TimeSpan.FromMinutes(2)), (fromEnvironment.RegistryWebhookToken, fromEnvironment.ImageScanInterval));
        Assert.Contains("--image-scan-interval", Assert.Throws<ArgumentException>(() => AgentOptions.From(new ConfigurationBuilder()
            .AddCommandLine(["--image-scan-interval", "often"], AgentOptions.SwitchMappings.ToDictionary()).Build())).Message);
    }

    [Fact]
    public void Updating_the_image_changes_the_image_and_digest_env_only_and_equals_a_fresh_render()
    {
        var before = TestConfigRepo.Render("staging", ImageA, replicas: 2, hostPort: 18081, audience: "automation");
        var freshB = TestConfigRepo.Render("staging", ImageB, replicas: 2, hostPort: 18081, audience: "automation");

        var updated = EnvironmentImageUpdate.WithImage("staging", before.Files, ImageDigestReference.Parse(ImageB));
        var again = EnvironmentImageUpdate.WithImage("staging", before.Files, ImageDigestReference.Parse(ImageB));

        Assert.Equal(freshB.Files, updated.Files);   // byte-identical to what the build would render for B
        Assert.Equal(again.Files, updated.Files);
        Assert.Equal(before.Files[SlipwayMetadata.ServiceFile], updated.Files[SlipwayMetadata.ServiceFile]);
        Assert.Equal(before.Files[SlipwayMetadata.ConfigMapFile], updated.Files[SlipwayMetadata.ConfigMapFile]);
        var container = updated.Manifests.Deployment.Spec.Template.Spec.Containers.Single();
        Assert.Equal(ImageB, container.Image);
        Assert.Equal(ImageB.Split('@')[1], container.Env.Single(variable => variable.Name == "BEACON_IMAGE_DIGEST").Value);
        Assert.Equal(ImageB, updated.Image.ToString());
    }

    [Fact]
    public void Updating_an_invalid_environment_is_refused()
    {
        var files = TestConfigRepo.Render("staging", ImageA, replicas: 1, hostPort: 18082, audience: "x").Files.ToDictionary();
        files[SlipwayMetadata.ServiceFile] = files[SlipwayMetadata.ServiceFile].Replace("slipway.dev/host-port", "slipway.dev/hostport", StringComparison.Ordinal);
        var error = Assert.Throws<ManifestException>(() => EnvironmentImageUpdate.WithImage("staging", files, ImageDigestReference.Parse(ImageB)));
        Assert.Contains("host-port", error.Message);
    }

    [Fact]
    public void A_notification_envelope_gives_the_repositories_pushed_to()
    {
        var body = Encoding.UTF8.GetBytes("""
            {"events":[
              {"id":"1","timestamp":"2026-11-28T16:00:00Z","action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":400,
               "digest":"sha256:aaaa","length":400,"repository":"beacon","url":"http://127.0.0.1:5000/v2/beacon/manifests/sha256:aaaa","tag":"1.2.0"},
               "request":{"id":"r","addr":"127.0.0.1:1","host":"127.0.0.1:5000","method":"PUT","useragent":"slipway"},"actor":{},"source":{"addr":"x","instanceID":"y"}},
              {"action":"pull","target":{"repository":"other"}},
              {"action":"push","target":{"repository":"team/api","digest":"sha256:bbbb"}}
            ]}
            """);
        Assert.Equal(["beacon", "team/api"], RegistryNotification.PushedRepositories(body).Order(StringComparer.Ordinal));
        Assert.Empty(RegistryNotification.PushedRepositories("""{"events":[]}"""u8));
        Assert.Throws<JsonException>(() => RegistryNotification.PushedRepositories("""{"ref":"refs/heads/main"}"""u8));
        Assert.ThrowsAny<JsonException>(() => RegistryNotification.PushedRepositories("not json"u8));
    }

    [Theory]
    [InlineData("secret", "Bearer secret", true)]
    [InlineData("secret", "bearer secret", true)]
    [InlineData("secret", "Bearer secret2", false)]
    [InlineData("secret", "Basic c2VjcmV0", false)]
    [InlineData("secret", "", false)]
    [InlineData(null, "Bearer ", false)]
    [InlineData("", "Bearer ", false)]
    public void The_registry_webhook_needs_the_configured_bearer_token(string? token, string header, bool authorized) =>
        Assert.Equal(authorized, Slipway.Agent.Api.BearerToken.Matches(token, header));
}
