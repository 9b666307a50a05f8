using Slipway.Build;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Images;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.SmokeTesting;

partial class Build
{
    [Parameter("Environment to deploy or test: staging or production")]
    readonly string Environment = "staging";

    [Parameter("Config repo: a Git URL or path (default: the embedded bare repo .nuke/platform/config.git)")]
    readonly string? ConfigRepo = null;

    [Parameter("Token for an HTTPS config repo (e.g. a GitHub token)"), Secret]
    readonly string? ConfigRepoToken = null;

    [Parameter("How long SmokeTest retries before it fails, in seconds")]
    readonly int SmokeTimeoutSeconds = 60;

    AbsolutePath DeployDirectory => RootDirectory / "deploy";

    string? runId;

    /// <summary>This run's id in commit trailers and run records: the CI host's run id, else a local one.</summary>
    string RunId => runId ??= Host.RunId ?? $"local-{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid().ToString("N")[..6]}";

    ConfigRepository OpenConfigRepository()
    {
        var options = ConfigRepositoryOptions.Embedded(RootDirectory);
        return new ConfigRepository(options with { Url = ConfigRepo ?? options.Url, Token = ConfigRepoToken }, Log);
    }

    Target GitOpsCommit => _ => _
        .Description("Renders deploy/ for --environment with the image digest of image.json and commits it to the config repo")
        .After(Push)
        .Executes(async () =>
        {
            var image = await ImageManifestFile.ReadAsync(ImageFile, CancellationToken);
            var trailers = new DeploymentTrailers(Environment, image.Reference, image.Commit, image.ParsedCommitTime, RunId);
            var result = await new GitOpsCommitter(OpenConfigRepository(), Log)
                .RenderAndCommitAsync(DeployDirectory, trailers, CancellationToken);
            DeployedRevision = result.Sha;
            Log.Information(result.Changed
                ? "Committed {Environment} at {Revision} ({Attempts} push attempt(s))"
                : "{Environment} already at {Revision}: nothing to commit", Environment, result.Sha, result.PushAttempts);
        });

    /// <summary>The config-repo revision GitOpsCommit left the environment at (Deploy waits for the agent to apply it).</summary>
    string? DeployedRevision;

    Target SmokeTest => _ => _
        .Description("Smoke-tests --environment on its stable port against what the config repo says it runs")
        .After(GitOpsCommit)
        .Executes(async () =>
        {
            var manifests = await OpenConfigRepository().ReadEnvironmentAsync(Environment, cancellationToken: CancellationToken)
                ?? throw new InvalidOperationException(
                    $"The config repo has no environment '{Environment}'. Deploy it first: ./build.sh Deploy --environment {Environment}");
            var version = await ExpectedVersionAsync(manifests);
            var result = await Slipway.Delivery.SmokeTesting.SmokeTest.RunAsync(
                new Uri($"http://127.0.0.1:{manifests.HostPort}"),
                SmokeExpectations.FromManifests(manifests, version),
                new SmokeTestOptions
                {
                    Environment = Environment,
                    Timeout = TimeSpan.FromSeconds(SmokeTimeoutSeconds),
                    ArtifactsDirectory = ArtifactsDirectory,
                },
                Log, CancellationToken);
            LogRenderable(result.ToTable());
            if (!result.Passed)
            {
                throw new InvalidOperationException($"Smoke test of {Environment} failed: {result.FailureSummary}");
            }
        });

    /// <summary>The version to expect: image.json's when it recorded the digest the environment runs, else unchecked.</summary>
    async Task<string?> ExpectedVersionAsync(EnvironmentManifests manifests)
    {
        if (!ImageFile.FileExists())
        {
            return null;
        }
        var image = await ImageManifestFile.ReadAsync(ImageFile, CancellationToken);
        return manifests.Image is { } running && running.EndsWith(image.Digest, StringComparison.Ordinal) ? image.Version : null;
    }
}
