using Slipway.Build;
using Slipway.Delivery.GitHub;
using Slipway.Delivery.Images;
using Slipway.Delivery.Metrics;
using Slipway.Delivery.RunRecords;

partial class Build
{
    [Parameter("DORA window in days: 7, 30 or 90")]
    readonly int Window = 30;

    [Parameter("Where Metrics reads deployments: git (the config repo's history, default) or github (GitHub Deployments of --environment in the config repo on GitHub; needs --github-token)")]
    readonly DoraSource DoraSource = DoraSource.Git;

    Target Metrics => _ => _
        .Description("DORA metrics of --environment (default production) from the config repo or GitHub Deployments: table, dora.json, dora.html")
        .Executes(async () =>
        {
            var request = new DoraRequest(Environment ?? "production", Window, RootDirectory, ArtifactsDirectory, Source: DoraSource);
            var gitHub = DoraSource == DoraSource.GitHub ? await OpenGitHubDeploymentSourceAsync() : null;
            var report = await new DoraMetrics(OpenConfigRepository(), Log, gitHub).ComputeAsync(request, CancellationToken);
            LogRenderable(DoraTable.Render(report));
            var artifacts = await DoraMetrics.WriteAsync(report, ArtifactsDirectory, CancellationToken);
            Log.Information("Wrote {Json} and {Html}", artifacts.JsonPath, artifacts.HtmlPath);
        });

    /// <summary>
    /// The GitHub Deployments Metrics reads for --dora-source github, or a clear error when GitHub is not configured.
    /// Metrics lists them through the pipeline's GitHub client: GitHubDelivery's records leave out the payload's
    /// rollback_of, which tells a rollback from a deploy.
    /// </summary>
    async Task<GitHubDeploymentSource> OpenGitHubDeploymentSourceAsync()
    {
        var gitHub = await OpenGitHubAsync() ?? throw new InvalidOperationException(
            "--dora-source github reads GitHub Deployments, but GitHub is not configured (the line above says why): pass --github-token " +
            "(or GITHUB_TOKEN) and a config repo on GitHub (--config-repo https://github.com/owner/name.git, or --github-config-repo owner/name; " +
            "--github-host and --github-api-url for GitHub Enterprise Server), or use --dora-source git.");
        return new GitHubDeploymentSource(gitHub.Client, gitHub.ConfigRepository);
    }

    /// <summary>
    /// Appends this run's record (stages, result, digest, environment, flaky tests) to the config repo, where Metrics reads
    /// the cycle time per stage. Runs last and also after a failure, so failed runs are counted too. A run that changed
    /// nothing (every build stage up to date, nothing deployed or promoted) leaves no record: a no-op rerun changes nothing.
    /// </summary>
    Target RecordRun => _ => _
        .Description("Appends this pipeline run's record to the config repo (runs/<yyyy-MM>.jsonl)")
        .Unlisted()
        .After(Test, EngineTest, Infrastructure, Containerize, ContainerTest, Push, GitOpsCommit, Deploy, SmokeTest, Promote, PromotionSmokeTest)
        .AssuredAfterFailure()
        .Executes(async () =>
        {
            var stages = Results
                .Where(r => r.StartedAt is not null && r.Name != nameof(RecordRun))
                .Select(r => new StageRecord(r.Name, r.StartedAt!.Value, r.Duration, r.Status switch
                {
                    TargetStatus.Succeeded => RunResult.Succeeded,
                    TargetStatus.Failed => RunResult.Failed,
                    _ => RunResult.Skipped,
                }))
                .ToList();
            if (stages.Count == 0)
            {
                return;
            }
            var builtSomething = Results.Any(r => r.Status == TargetStatus.Succeeded &&
                r.Name is nameof(Compile) or nameof(Test) or nameof(EngineTest) or nameof(Containerize) or nameof(ContainerTest) or nameof(Push));
            if (!builtSomething && !DeployedChanged && !PromotedChanged && stages.All(s => s.Result != RunResult.Failed))
            {
                Log.Information("Nothing was built, deployed or promoted: no run record (the config repo stays as it is)");
                return;
            }
            var image = ImageFile.FileExists() ? await ImageManifestFile.ReadAsync(ImageFile, CancellationToken) : null;
            var end = stages.Max(s => s.Start + s.Duration);
            var start = stages.Min(s => s.Start);
            var record = new RunRecord(
                RunId,
                Host.Name.ToString().ToLowerInvariant(),
                start,
                end - start,
                stages.Any(s => s.Result == RunResult.Failed) ? RunResult.Failed : RunResult.Succeeded,
                DeployedRevision is null ? null : DeployEnvironment,
                image?.Reference,
                image?.Commit,
                stages,
                Tally.Flaky.Count > 0 ? Tally.Flaky : null,
                image is null || !Results.Any(r => r.Name == nameof(Push) && r.Status is TargetStatus.Succeeded or TargetStatus.UpToDate)
                    ? null
                    : Slipway.Delivery.SupplyChain.SupplyChainEvidence.For(Slipway.Delivery.Oci.ImageReference.Parse(image.Reference)).Attestations.ToString());
            await new RunRecordStore(OpenConfigRepository(), Log).AppendAsync(record, MaskSecrets, CancellationToken);
        });
}
