namespace Slipway.Build.Tests.CI;

/// <summary>
/// A build declared the way build/ declares Slipway's own pipeline: pull requests and pushes to main run Test; main runs
/// the whole pipeline (the default target) with the registry and config-repo secrets, one deployment at a time.
/// </summary>
[GitHubActions("pipeline", "test", OnPullRequestBranches = ["main"], OnPushBranches = ["main"], InvokedTargets = [nameof(Test)], PublishArtifacts = true)]
[GitHubActions("pipeline", "deliver", OnPushBranches = ["main"], After = ["test"], ImportSecrets = [nameof(RegistryPassword), nameof(ConfigRepoToken)],
    PublishArtifacts = true, Environment = "production", TimeoutMinutes = 60)]
[GitLabCI("test", OnPullRequestBranches = ["main"], OnPushBranches = ["main"], InvokedTargets = [nameof(Test)], PublishArtifacts = true)]
[GitLabCI("deliver", OnPushBranches = ["main"], After = ["test"], ImportSecrets = [nameof(RegistryPassword), nameof(ConfigRepoToken)],
    PublishArtifacts = true, Environment = "production", Tags = ["docker"])]
[AzurePipelines("test", OnPullRequestBranches = ["main"], OnPushBranches = ["main"], InvokedTargets = [nameof(Test)], PublishArtifacts = true)]
[AzurePipelines("deliver", OnPushBranches = ["main"], After = ["test"], ImportSecrets = [nameof(RegistryPassword), nameof(ConfigRepoToken)],
    PublishArtifacts = true, Environment = "production")]
internal sealed class PipelineBuild : SlipwayBuild
{
    [Parameter("Registry password"), Secret] readonly string? RegistryPassword = null;
    [Parameter("Config repo token"), Secret] readonly string? ConfigRepoToken = null;
    [Parameter("Registry host:port")] readonly string Registry = "127.0.0.1:5000";

    public List<string> Ran { get; } = [];

    Target Compile => _ => _.Executes(() => Ran.Add(nameof(Compile)));
    Target Test => _ => _.DependsOn(Compile).Executes(() => Ran.Add(nameof(Test)));
    Target Deploy => _ => _.DependsOn(Test).Requires(() => RegistryPassword).Executes(() => Ran.Add($"{nameof(Deploy)} to {Registry} with {ConfigRepoToken?.Length ?? 0}"));

    [RefreshesCiConfigurations]
    Target GenerateCi => _ => _.Executes(() => CiConfigurations.Write(this));
}
