using System.Diagnostics;
using CliWrap;
using CliWrap.Buffered;
using Slipway.Delivery.GitHub;
using Slipway.Testing;

namespace Slipway.Delivery.Tests.GitHub;

/// <summary>
/// A drill on the running platform, not a unit test (explicit): <c>./build.sh Promote</c> with the GitHub features on,
/// against the GitHub REST simulation whose pull requests are backed by the platform's own config repo
/// (.nuke/platform/config.git). The merge "on GitHub" is a real commit there, the real agent rolls it out to production
/// with its canary, and the GitHub deployment, statuses and the pull request's evidence are checked.
/// Needs: ./build.sh run once (platform up, staging smoke-tested) and production running another digest than staging
/// (for example after ./build.sh Rollback --environment production). Run:
/// <c>tests/Slipway.Delivery.Tests/bin/Release/net10.0/Slipway.Delivery.Tests -class Slipway.Delivery.Tests.GitHub.GitHubPromotionDrill -explicit only -showLiveOutput</c>.
/// </summary>
[Trait("Tier", "Engine")]
public sealed class GitHubPromotionDrill
{
    [Fact(Explicit = true)]
    public async Task Promote_goes_through_a_pull_request_merged_into_the_config_repo_the_agent_follows()
    {
        var ct = TestContext.Current.CancellationToken;
        var root = RepositoryRoot();
        var bare = Path.Combine(root, ".nuke", "platform", "config.git");
        var staging = await LastDeployAsync(bare, "staging");
        var production = await LastDeployAsync(bare, "production");
        if (staging.Image == production.Image)
            Assert.Skip($"production already runs staging's {staging.Image}; roll production back first: ./build.sh Rollback --environment production");

        using var github = new GitHubApiSimulation();
        github.ServePullRequestsFrom(bare, firstNumber: 100);
        github.StatusesOnEveryCommit(("ci/validate", "success"));
        github.DeploymentCreated(7001, "0000000000000000000000000000000000000000", "production");
        github.DeploymentStatusCreated(7001);
        github.CommitStatusCreated(staging.SourceCommit);
        var branch = PromotionBranch.For("production", staging.Image);
        github.PullRequestUpdated(100, branch, "0000000000000000000000000000000000000000");

        var clock = Stopwatch.StartNew();
        var run = await Cli.Wrap(Path.Combine(root, "build.sh"))
            .WithArguments(["Promote", "--skip", "--github-token", GitHubSimulationFixture.Token, "--github-api-url", github.BaseAddress.ToString(),
                "--github-config-repo", $"{GitHubApiSimulation.Owner}/{GitHubApiSimulation.Repo}",
                "--github-source-repo", $"{GitHubApiSimulation.Owner}/{GitHubApiSimulation.SourceRepo}"])
            .WithWorkingDirectory(root)
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(ct);
        clock.Stop();
        var output = run.StandardOutput + run.StandardError;
        TestContext.Current.SendDiagnosticMessage($"./build.sh Promote through a pull request: exit {run.ExitCode} in {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(run.ExitCode == 0, output);

        // Merged into main of the platform's config repo: production now runs staging's digest, with the deploy's trailers.
        var promoted = await LastDeployAsync(bare, "production");
        Assert.Equal(staging.Image, promoted.Image);
        Assert.Equal(staging.SourceCommit, promoted.SourceCommit);
        Assert.Single(github.MergeRequests);
        Assert.Contains("Opened pull request #100", output);
        Assert.Contains("serves", output);

        // The deployment of that merge commit went in_progress then success, the source commit got its status.
        var deployment = Assert.Single(github.To("POST", $"{GitHubApiSimulation.RepoPath()}/deployments")).Json;
        Assert.Equal(promoted.Sha, (string?)deployment["ref"]);
        Assert.Equal(["in_progress", "success"],
            github.To("POST", $"{GitHubApiSimulation.RepoPath()}/deployments/7001/statuses").Select(r => (string?)r.Json["state"]));
        Assert.Equal(["pending", "success"],
            github.To("POST", $"{GitHubApiSimulation.RepoPath(GitHubApiSimulation.SourceRepo)}/statuses/{staging.SourceCommit}").Select(r => (string?)r.Json["state"]));
        // After the canary, its analysis was added to the pull request's description.
        var update = Assert.Single(github.To("PATCH", $"{GitHubApiSimulation.RepoPath()}/pulls/100")).Json;
        Assert.Contains("error rate", (string?)update["body"]);
        Assert.DoesNotContain(GitHubSimulationFixture.Token, output, StringComparison.Ordinal);
    }

    private sealed record Deploy(string Sha, string Image, string SourceCommit);

    private static async Task<Deploy> LastDeployAsync(string bare, string environment)
    {
        var line = (await TestGit.RunAsync(bare, ["log", "-1", "--format=%H%x1f%(trailers:key=Slipway-Image,valueonly,separator=)%x1f%(trailers:key=Slipway-Source-Commit,valueonly,separator=)",
            "main", "--", $"environments/{environment}/"])).Trim();
        var fields = line.Split('\x1f');
        Assert.True(fields.Length == 3 && fields[1].Length > 0, $"{environment} has no deploy in {bare}; run ./build.sh first");
        return new Deploy(fields[0], fields[1].Trim(), fields[2].Trim());
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "build.sh"))) return directory.FullName;
        throw new InvalidOperationException("build.sh not found above " + AppContext.BaseDirectory);
    }
}
