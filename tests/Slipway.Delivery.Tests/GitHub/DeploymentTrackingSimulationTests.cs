using Slipway.Delivery.GitHub;
using static Slipway.Delivery.Tests.GitHub.GitHubSimulationFixture;

namespace Slipway.Delivery.Tests.GitHub;

/// <summary>TrackDeploymentAsync, the wrapper Deploy, Promote and Rollback run in, against the GitHub REST simulation (WireMock).</summary>
public sealed class DeploymentTrackingSimulationTests : IDisposable
{
    private readonly GitHubSimulationFixture github = new();
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;
    private static string Repo => GitHubApiSimulation.RepoPath();
    private static string SourceStatuses => $"{GitHubApiSimulation.RepoPath(GitHubApiSimulation.SourceRepo)}/statuses/{SourceCommit}";

    public void Dispose() => github.Dispose();

    [Fact]
    public async Task A_deploy_that_succeeds_is_in_progress_then_success_on_github_and_pending_then_success_on_the_source_commit()
    {
        github.Simulation.DeploymentCreated(501, MergeSha, "production");
        github.Simulation.DeploymentStatusCreated(501);
        github.Simulation.CommitStatusCreated(SourceCommit);
        var deployed = false;

        var result = await github.Delivery().TrackDeploymentAsync(new DeploymentNotice(MergeSha, Trailers(), new Uri("http://127.0.0.1:8080/")),
            _ =>
            {
                // While the deploy runs, GitHub already shows it in progress and the source commit pending.
                Assert.Equal("in_progress", (string?)Assert.Single(github.Simulation.To("POST", $"{Repo}/deployments/501/statuses")).Json["state"]);
                Assert.Equal("pending", (string?)Assert.Single(github.Simulation.To("POST", SourceStatuses)).Json["state"]);
                deployed = true;
                return Task.FromResult(42);
            }, Cancel);

        Assert.True(deployed);
        Assert.Equal(42, result);
        var statuses = github.Simulation.To("POST", $"{Repo}/deployments/501/statuses").Select(r => r.Json).ToList();
        Assert.Equal(["in_progress", "success"], statuses.Select(s => (string?)s["state"]));
        Assert.Equal("http://127.0.0.1:8080/", (string?)statuses[1]["environment_url"]);
        Assert.Contains("production serves 4f1c2b3a4d5e", (string?)statuses[1]["description"]);
        var sourceStatuses = github.Simulation.To("POST", SourceStatuses).Select(r => r.Json).ToList();
        Assert.Equal(["pending", "success"], sourceStatuses.Select(s => (string?)s["state"]));
        Assert.All(sourceStatuses, s => Assert.Equal("slipway/production", (string?)s["context"]));
        github.AssertTokenNeverLogged();
    }

    [Fact]
    public async Task A_deploy_that_fails_is_reported_as_a_failure_with_its_reason_and_the_failure_is_rethrown()
    {
        github.Simulation.DeploymentCreated(502, MergeSha, "production");
        github.Simulation.DeploymentStatusCreated(502);
        github.Simulation.CommitStatusCreated(SourceCommit);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => github.Delivery().TrackDeploymentAsync<bool>(
            new DeploymentNotice(MergeSha, Trailers() with { ChangeType = "fix" }), _ => throw new InvalidOperationException("canary aborted at 25%: error rate 0.31 above 0.01"), Cancel));

        Assert.Contains("canary aborted", failure.Message);
        // A deploy marked as a fix says so in the payload, so Metrics can count rework from GitHub too.
        Assert.Equal("fix", (string?)Assert.Single(github.Simulation.To("POST", $"{Repo}/deployments")).Json["payload"]!["change_type"]);
        var last = github.Simulation.To("POST", $"{Repo}/deployments/502/statuses").Last().Json;
        Assert.Equal("failure", (string?)last["state"]);
        Assert.Contains("canary aborted at 25%", (string?)last["description"]);
        Assert.True(((string?)last["description"])!.Length <= 140);
        Assert.Equal("failure", (string?)github.Simulation.To("POST", SourceStatuses).Last().Json["state"]);
    }

    [Fact]
    public async Task GitHub_being_down_is_a_warning_and_never_stops_the_deploy()
    {
        github.Simulation.DeploymentCreationFails(503, "Service Unavailable");
        github.Simulation.ServerError("POST", SourceStatuses, 503);
        var deployed = false;

        await github.Delivery().TrackDeploymentAsync(new DeploymentNotice(MergeSha, Trailers("staging")),
            _ => { deployed = true; return Task.FromResult(true); }, Cancel);

        Assert.True(deployed);
        Assert.Contains("Could not create the GitHub deployment", github.Log.Text);
        Assert.Contains("the deploy goes on", github.Log.Text);
        Assert.DoesNotContain(github.Simulation.Requests, r => r.Path.Contains("/deployments/", StringComparison.Ordinal));
    }
}
