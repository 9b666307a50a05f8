using Slipway.Build;

// Slipway's CI, declared here and written by `./build.sh GenerateCi` to .github/workflows/pipeline.yml, .gitlab-ci.yml and
// azure-pipelines.yml; every run checks the committed files still match. Each job runs ./build.sh as a developer does:
// pull requests and pushes to main run both test tiers (Test, EngineTest); main runs the whole pipeline (the default target) with every [Secret]
// parameter imported, one deployment at a time, and uploads .nuke/artifacts.
[GitHubActions("pipeline", "test", OnPullRequestBranches = ["main"], OnPushBranches = ["main"], InvokedTargets = [nameof(Test), nameof(EngineTest)],
    PublishArtifacts = true, TimeoutMinutes = 30)]
[GitHubActions("pipeline", "deliver", OnPushBranches = ["main"], After = ["test"], ImportAllSecrets = true,
    PublishArtifacts = true, Environment = "production", TimeoutMinutes = 60)]
[GitLabCI("test", OnPullRequestBranches = ["main"], OnPushBranches = ["main"], InvokedTargets = [nameof(Test), nameof(EngineTest)],
    PublishArtifacts = true, TimeoutMinutes = 30, Tags = ["docker"])]
[GitLabCI("deliver", OnPushBranches = ["main"], After = ["test"], ImportAllSecrets = true,
    PublishArtifacts = true, Environment = "production", TimeoutMinutes = 60, Tags = ["docker"])]
[AzurePipelines("test", OnPullRequestBranches = ["main"], OnPushBranches = ["main"], InvokedTargets = [nameof(Test), nameof(EngineTest)],
    PublishArtifacts = true, TimeoutMinutes = 30)]
[AzurePipelines("deliver", OnPushBranches = ["main"], After = ["test"], ImportAllSecrets = true,
    PublishArtifacts = true, Environment = "production", TimeoutMinutes = 60)]
partial class Build
{
    [RefreshesCiConfigurations]
    Target GenerateCi => _ => _
        .Description("Writes the CI configurations (GitHub Actions, GitLab CI, Azure Pipelines) from the attributes in Build.CI.cs")
        .Executes(() => CiConfigurations.Write(this));
}
