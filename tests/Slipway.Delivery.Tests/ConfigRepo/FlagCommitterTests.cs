using System.Text.Json.Nodes;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Tests.Manifests;

namespace Slipway.Delivery.Tests.ConfigRepo;

/// <summary>SetFlag against real git: a bare config repo in a temp folder, deployed first as the pipeline does.</summary>
public sealed class FlagCommitterTests : IDisposable
{
    private readonly GitSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    private static string Image(char hex) => "127.0.0.1:5000/beacon@sha256:" + new string(hex, 64);

    private const string SourceCommit = "0123456789abcdef0123456789abcdef01234567";
    private static readonly DateTimeOffset SourceTime = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private Task<CommitResult> DeployAsync(ConfigRepository repository, string image, string run = "deploy-run") =>
        new GitOpsCommitter(repository, sandbox.Logs.Logger()).RenderAndCommitAsync(DeployFolder.Repository,
            new DeploymentTrailers("production", image, SourceCommit, SourceTime, run), TestContext.Current.CancellationToken);

    private static JsonObject Flag(EnvironmentManifests manifests, string id) =>
        JsonNode.Parse(manifests.ConfigMap.Data["appsettings.json"])!["feature_management"]!["feature_flags"]!.AsArray()
            .OfType<JsonObject>().Single(flag => flag["id"]!.GetValue<string>() == id);

    private async Task<string[]> ChangedFilesAsync(string sha) =>
        (await GitSandbox.GitAsync(sandbox.BareRepository, "show", "--name-only", "--format=", sha)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task SetFlag_commits_only_the_ConfigMap_with_the_running_image_s_trailers_and_a_deploy_keeps_it()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var repository = sandbox.Repository();
        await DeployAsync(repository, Image('a'));
        var flags = new FlagCommitter(repository, sandbox.Logs.Logger());

        var result = await flags.SetFlagAsync("production", "Greeting.Style", "Formal=70,Casual=30", "flag-run", cancellationToken: cancellation);

        Assert.True(result.Changed);
        Assert.Equal(["environments/production/configmap.yaml"], await ChangedFilesAsync(result.Sha));
        var trailers = await GitSandbox.GitAsync(sandbox.BareRepository, "log", "-1", "--format=%(trailers:only,unfold)", "main");
        Assert.Equal(
            [
                "Slipway-Environment: production", $"Slipway-Image: {Image('a')}", $"Slipway-Source-Commit: {SourceCommit}",
                "Slipway-Source-Time: 2026-11-28T12:00:00+00:00", "Slipway-Run: flag-run", "Slipway-Flag: Greeting.Style=Formal=70,Casual=30",
            ],
            trailers.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var manifests = (await repository.ReadEnvironmentAsync("production", cancellationToken: cancellation))!;
        Assert.Empty(ManifestValidator.Validate(manifests));   // config hash included
        var style = Flag(manifests, "Greeting.Style");
        Assert.True(style["enabled"]!.GetValue<bool>());
        Assert.Equal("""[{"variant":"Formal","from":0,"to":70},{"variant":"Casual","from":70,"to":100}]""", style["allocation"]!["percentile"]!.ToJsonString());

        // The same value again: nothing to commit.
        var again = await flags.SetFlagAsync("production", "Greeting.Style", "Formal=70,Casual=30", "flag-run-2", cancellationToken: cancellation);
        Assert.False(again.Changed);
        Assert.Equal(result.Sha, again.Sha);

        // A later deploy of a new image re-renders deploy/: the flag survives, and the ConfigMap is not even touched.
        var deploy = await DeployAsync(repository, Image('b'), "deploy-run-2");
        Assert.True(deploy.Changed);
        Assert.Equal(["environments/production/deployment.yaml"], await ChangedFilesAsync(deploy.Sha));
        var afterDeploy = (await repository.ReadEnvironmentAsync("production", cancellationToken: cancellation))!;
        Assert.Equal(Image('b'), afterDeploy.Image);
        Assert.Equal(style.ToJsonString(), Flag(afterDeploy, "Greeting.Style").ToJsonString());

        // Another clone (another operator) changes a second flag: both changes stand.
        var other = new FlagCommitter(sandbox.Repository("other"), sandbox.Logs.Logger());
        var second = await other.SetFlagAsync("production", "Greeting.V2", "25%", "flag-run-3", cancellationToken: cancellation);
        Assert.True(second.Changed);
        var both = (await repository.ReadEnvironmentAsync("production", cancellationToken: cancellation))!;
        Assert.Equal("""{"Greeting.Style":"Formal=70,Casual=30","Greeting.V2":"25%"}""",
            both.ConfigMap.Metadata.Annotations[SlipwayMetadata.FlagOverridesAnnotation]);
        Assert.Equal(Image('b'), (await repository.HistoryAsync("production", cancellation))[0].Deployment!.Image);
    }

    [Fact]
    public async Task Value_deploy_hands_the_flag_back_to_deploy_and_later_deploys_follow_deploy_again()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var repository = sandbox.Repository();
        await DeployAsync(repository, Image('a'));
        var flags = new FlagCommitter(repository, sandbox.Logs.Logger());
        var declared = (await repository.ReadEnvironmentAsync("production", cancellationToken: cancellation))!;
        await flags.SetFlagAsync("production", "Greeting.V2", "on", "flag-run", cancellationToken: cancellation);
        await flags.SetFlagAsync("production", "Greeting.Style", "Casual=100", "flag-run", cancellationToken: cancellation);

        var reset = await flags.SetFlagAsync("production", "Greeting.V2", "deploy", "flag-run-2", DeployFolder.Repository, cancellation);

        Assert.True(reset.Changed);
        var manifests = (await repository.ReadEnvironmentAsync("production", cancellationToken: cancellation))!;
        Assert.Empty(ManifestValidator.Validate(manifests));
        Assert.Equal(Flag(declared, "Greeting.V2").ToJsonString(), Flag(manifests, "Greeting.V2").ToJsonString());
        Assert.Equal("""{"Greeting.Style":"Casual=100"}""", manifests.ConfigMap.Metadata.Annotations[SlipwayMetadata.FlagOverridesAnnotation]);
        Assert.Contains("Slipway-Flag: Greeting.V2=deploy", await GitSandbox.GitAsync(sandbox.BareRepository, "log", "-1", "--format=%B", "main"));

        // The Style change is handed back too: the ConfigMap is exactly deploy/'s render again, so a deploy changes only the image.
        await flags.SetFlagAsync("production", "Greeting.Style", "deploy", "flag-run-3", DeployFolder.Repository, cancellation);
        var deploy = await DeployAsync(repository, Image('b'), "deploy-run-2");
        Assert.Equal(["environments/production/deployment.yaml"], await ChangedFilesAsync(deploy.Sha));
        var final = (await repository.ReadEnvironmentAsync("production", cancellationToken: cancellation))!;
        Assert.Equal(ManifestRenderer.Render(DeployFolder.Repository, "production", Image('b')).Files[SlipwayMetadata.ConfigMapFile],
            ManifestYaml.Serialize(final.ConfigMap));
    }

    [Fact]
    [Trait("Tier", "Engine")] // a race between real git processes: a drill of the real-engine tier
    public async Task A_flag_change_pushed_while_a_deploy_is_in_flight_survives_the_deploy_s_conflict_and_retry()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var deployer = sandbox.Repository();
        var deployed = await DeployAsync(deployer, Image('a'));
        // The operator's flag commit, held back on a side branch so the test decides when it lands on main.
        var flagged = await new FlagCommitter(sandbox.Repository("operator"), sandbox.Logs.Logger())
            .SetFlagAsync("production", "Greeting.V2", "on", "flag-run", cancellationToken: cancellation);
        await GitSandbox.GitAsync(sandbox.BareRepository, "update-ref", "refs/heads/pending", flagged.Sha);
        await GitSandbox.GitAsync(sandbox.BareRepository, "update-ref", "refs/heads/main", deployed.Sha);
        // It lands right as the deployer pushes: its first push is refused, and both changed configmap.yaml (a conflict).
        var hook = Path.Combine(sandbox.Root, "work", ".git", "hooks", "pre-push");
        var landed = Path.Combine(sandbox.Root, "flag-landed");
        await File.WriteAllTextAsync(hook, $"""
            #!/bin/sh
            if [ ! -e '{landed}' ]; then touch '{landed}'; git --git-dir='{sandbox.BareRepository}' update-ref refs/heads/main refs/heads/pending; fi
            exit 0

            """, cancellation);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var deploy = DeployFolder.Copy();   // this deploy also changes a setting, so it rewrites configmap.yaml too
        File.AppendAllText(deploy.File("environments/production.yaml"), "settings:\n  Faults:\n    LatencyMs: 5\n");

        var result = await new GitOpsCommitter(deployer, sandbox.Logs.Logger()).RenderAndCommitAsync(deploy.Path,
            new DeploymentTrailers("production", Image('b'), SourceCommit, SourceTime, "deploy-run-2"), cancellation);

        Assert.True(File.Exists(landed));
        Assert.True(result.PushAttempts > 1);
        var manifests = (await deployer.ReadEnvironmentAsync("production", cancellationToken: cancellation))!;
        Assert.Empty(ManifestValidator.Validate(manifests));
        Assert.Equal(Image('b'), manifests.Image);
        Assert.True(Flag(manifests, "Greeting.V2")["enabled"]!.GetValue<bool>());   // the flag change is not lost
        Assert.Equal(5, JsonNode.Parse(manifests.ConfigMap.Data["appsettings.json"])!["Faults"]!["LatencyMs"]!.GetValue<int>());
        Assert.Equal("""{"Greeting.V2":"on"}""", manifests.ConfigMap.Metadata.Annotations[SlipwayMetadata.FlagOverridesAnnotation]);
        Assert.True(await deployer.ContainsAsync(result.Sha, flagged.Sha, cancellation));   // both commits stay in history
    }

    [Theory]
    [InlineData("Greeting.V3", "on", "no feature flag 'Greeting.V3' (declared flags: Greeting.Style, Greeting.V2)")]
    [InlineData("Greeting.Style", "Formal=50,Pirate=50", "no variant 'Pirate' (variants: Formal, Casual)")]
    [InlineData("Greeting.V2", "sometimes", "--value 'sometimes' for flag 'Greeting.V2' is not understood")]
    public async Task A_bad_flag_or_value_commits_nothing(string flag, string value, string expected)
    {
        var cancellation = TestContext.Current.CancellationToken;
        var repository = sandbox.Repository();
        var deployed = await DeployAsync(repository, Image('a'));

        var error = await Assert.ThrowsAsync<ManifestException>(() =>
            new FlagCommitter(repository, sandbox.Logs.Logger()).SetFlagAsync("production", flag, value, "flag-run", cancellationToken: cancellation));

        Assert.Contains(expected, error.Message);
        Assert.Equal(deployed.Sha, (await GitSandbox.GitAsync(sandbox.BareRepository, "rev-parse", "main")).Trim());
        // The work clone is left clean at the remote head, ready for the next command.
        var work = Path.Combine(sandbox.Root, "work");
        Assert.Equal("", (await GitSandbox.GitAsync(work, "status", "--porcelain")).Trim());
    }

    [Fact]
    public async Task An_environment_never_deployed_is_refused_with_the_fix()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            new FlagCommitter(sandbox.Repository(), sandbox.Logs.Logger())
                .SetFlagAsync("production", "Greeting.V2", "on", "flag-run", cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("./build.sh Deploy --environment production", error.Message);
    }
}
