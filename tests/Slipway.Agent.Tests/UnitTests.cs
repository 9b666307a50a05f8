using System.Text;
using Microsoft.Extensions.Configuration;
using Slipway.Agent.Backends.Docker;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;

namespace Slipway.Agent.Tests;

public sealed class WebhookSignatureTests
{
    // GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!".
    const string GitHubExample = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    [Fact]
    public void Computes_GitHubs_documented_signature() =>
        Assert.Equal(GitHubExample, WebhookSignature.Compute("It's a Secret to Everybody", Encoding.UTF8.GetBytes("Hello, World!")));

    [Theory]
    [InlineData(GitHubExample, true)]
    [InlineData("sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17", true)]
    [InlineData("sha256=000007ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", false)]
    [InlineData("sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", false)]
    [InlineData("sha256=xyz", false)]
    [InlineData("sha256=", false)]
    [InlineData(null, false)]
    public void Accepts_only_the_right_signature(string? header, bool valid) =>
        Assert.Equal(valid, WebhookSignature.IsValid("It's a Secret to Everybody", Encoding.UTF8.GetBytes("Hello, World!"), header));

    [Fact]
    public void Rejects_everything_without_a_secret() =>
        Assert.False(WebhookSignature.IsValid("", Encoding.UTF8.GetBytes("x"), WebhookSignature.Compute("s", Encoding.UTF8.GetBytes("x"))));
}

public sealed class AgentOptionsTests
{
    static AgentOptions Parse(params string[] args) => AgentOptions.From(new ConfigurationBuilder()
        .AddCommandLine(args, AgentOptions.SwitchMappings.ToDictionary()).Build());

    [Fact]
    public void Defaults_live_under_the_platform_folder_of_the_root()
    {
        var options = Parse("--root", "/repo");
        Assert.Equal("/repo/.nuke/platform/config.git", options.ConfigRepo);
        Assert.Equal("/repo/.nuke/platform/agent", options.WorkDir);
        Assert.Equal("/repo/.nuke/platform/agent/agent.pid", options.PidFile);
        Assert.Equal(["staging", "production"], options.Environments);
        Assert.Equal((TimeSpan.FromSeconds(5), 8090, "slipway"), (options.Interval, options.ApiPort, options.Instance));
        Assert.Null(options.WebhookSecret);
    }

    [Fact]
    public void Reads_every_option_from_the_command_line()
    {
        var options = Parse("--root", "/repo", "--config-repo", "https://git.example/config.git", "--work-dir", "w", "--branch", "live",
            "--environments", "qa, prod", "--interval", "0.5", "--api-port", "9000", "--webhook-secret", "s", "--instance", "lab",
            "--drain", "00:00:03", "--readiness-timeout", "30s");
        Assert.Equal("https://git.example/config.git", options.ConfigRepo);
        Assert.Equal("/repo/w", options.WorkDir);
        Assert.Equal(["qa", "prod"], options.Environments);
        Assert.Equal((TimeSpan.FromMilliseconds(500), 9000, "s", "lab", "live"), (options.Interval, options.ApiPort, options.WebhookSecret, options.Instance, options.Branch));
        Assert.Equal((TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(30)), (options.Drain, options.ReadinessTimeout));
    }

    [Fact]
    public void Reads_the_webhook_secret_from_the_environment_variable()
    {
        var options = AgentOptions.From(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["SLIPWAY_AGENT_WEBHOOK_SECRET"] = "from-env" }).Build());
        Assert.Equal("from-env", options.WebhookSecret);
    }

    [Theory]
    [InlineData("--interval", "soon", "--interval")]
    [InlineData("--api-port", "70000", "--api-port")]
    [InlineData("--environments", "Staging", "not a valid environment name")]
    public void Names_the_option_of_a_bad_value(string option, string value, string expected) =>
        Assert.Contains(expected, Assert.Throws<ArgumentException>(() => Parse(option, value)).Message, StringComparison.Ordinal);
}

public sealed class WorkloadSpecTests
{
    const string Image = "127.0.0.1:5000/beacon@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public void Reads_what_the_docker_backend_runs_from_the_rendered_manifests()
    {
        var rendered = TestConfigRepo.Render("staging", Image, replicas: 3, hostPort: 18081, audience: "unit");
        var spec = WorkloadSpec.From(rendered.Manifests);

        Assert.Equal(("beacon", 3, 18081, 8080), (spec.App, spec.Replicas, spec.HostPort, spec.TargetPort));
        Assert.Equal(Image, spec.Image);
        Assert.Equal(new HttpProbe("/readyz", 8080, 3, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)), spec.Readiness);
        Assert.Equal("/healthz", spec.Liveness!.Path);
        Assert.Equal("1654:1654", spec.User);
        Assert.Equal([new ConfigMount("beacon-config", "/etc/beacon")], spec.Mounts);
        Assert.Equal(["/tmp"], spec.ScratchDirectories);
        Assert.Contains("BEACON_IMAGE_DIGEST=" + Image.Split('@')[1], spec.Env);
        Assert.Equal(rendered.ConfigHash, spec.ConfigHash);
        Assert.Equal(256L * 1024 * 1024, spec.MemoryBytes);
        Assert.Equal(500_000_000L, spec.NanoCpus);
        Assert.True(spec.ReadOnlyRootFilesystem && spec.NoNewPrivileges && spec.DropAllCapabilities);
    }

    [Fact]
    public void The_template_hash_ignores_ConfigMap_data_and_follows_the_pod_template()
    {
        var first = WorkloadSpec.From(TestConfigRepo.Render("staging", Image, 2, 18081, "one").Manifests);
        var otherConfig = WorkloadSpec.From(TestConfigRepo.Render("staging", Image, 2, 18081, "two").Manifests);
        var otherReplicas = WorkloadSpec.From(TestConfigRepo.Render("staging", Image, 5, 18081, "one").Manifests);
        var otherImage = WorkloadSpec.From(TestConfigRepo.Render("staging", Image.Replace("0123", "4567", StringComparison.Ordinal), 2, 18081, "one").Manifests);

        Assert.Equal(first.TemplateHash, otherConfig.TemplateHash);
        Assert.NotEqual(first.ConfigHash, otherConfig.ConfigHash);
        Assert.Equal(first.TemplateHash, otherReplicas.TemplateHash);
        Assert.NotEqual(first.TemplateHash, otherImage.TemplateHash);
    }
}

public sealed class ConfigMapFilesTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("slipway-agent-configmap-").FullName;

    [Fact]
    public void Writes_in_place_and_removes_keys_no_longer_in_the_ConfigMap()
    {
        var files = new ConfigMapFiles(root);
        Assert.True(files.Write("staging", "beacon-config", new Dictionary<string, string> { ["a.json"] = "1", ["b.json"] = "2" }));
        var directory = files.DirectoryFor("staging", "beacon-config");
        Assert.False(files.Write("staging", "beacon-config", new Dictionary<string, string> { ["a.json"] = "1", ["b.json"] = "2" }));
        Assert.True(files.Write("staging", "beacon-config", new Dictionary<string, string> { ["a.json"] = "3" }));

        Assert.Equal(["a.json"], Directory.GetFiles(directory).Select(Path.GetFileName));
        Assert.Equal("3", File.ReadAllText(Path.Combine(directory, "a.json")));
    }

    [Fact]
    public void Refuses_a_key_that_is_not_a_file_name() =>
        Assert.Throws<FormatException>(() => new ConfigMapFiles(root).Write("staging", "c", new Dictionary<string, string> { ["../x"] = "1" }));

    public void Dispose() => Directory.Delete(root, recursive: true);
}

public sealed class RedactionTests
{
    [Fact]
    public void Masks_the_credentials_of_a_config_repo_URL_in_logs_and_errors()
    {
        const string remote = "https://bot:s3cr%40t@git.example/config.git";
        Assert.Equal("https://***@git.example/config.git", Slipway.Delivery.Git.RemoteUrl.Redact(remote));
        Assert.Equal("fatal: could not read from ***", Slipway.Delivery.Git.RemoteUrl.Redact(remote, "fatal: could not read from bot:s3cr@t"));
        Assert.Equal("/srv/config.git", Slipway.Delivery.Git.RemoteUrl.Redact("/srv/config.git"));
    }
}
