using System.Globalization;
using System.Text.Json.Nodes;
using Slipway.Delivery.GitHub;
using Slipway.Delivery.Metrics;
using Slipway.Delivery.RunRecords;
using Slipway.Delivery.Tests.GitHub;
using static Slipway.Delivery.Tests.GitHub.GitHubSimulationFixture;

namespace Slipway.Delivery.Tests.Metrics;

/// <summary>
/// Metrics with --dora-source github, through Octokit against GitHubApiSimulation (WireMock standing in for the GitHub REST
/// API, which cannot be reached here): deployments and statuses listed as GitHub lists them, the DORA figures worked out
/// from the times below. Run records still come from a real (throw-away) config repo.
/// </summary>
public sealed class DoraFromGitHubSimulationTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-28T12:00:00Z", CultureInfo.InvariantCulture);
    private static readonly string Repo = GitHubApiSimulation.RepoPath();
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private readonly GitHubSimulationFixture github = new();
    private DeliveryHistory git = null!;

    public async ValueTask InitializeAsync() => git = await DeliveryHistory.CreateAsync();

    public ValueTask DisposeAsync()
    {
        try
        {
            Assert.Empty(github.Simulation.Unmatched.Select(request => request.ToString()));
            github.AssertTokenNeverLogged();
        }
        finally
        {
            github.Dispose();
            git.Dispose();
        }
        return ValueTask.CompletedTask;
    }

    private static string Sha(long id) => id.ToString("x", CultureInfo.InvariantCulture).PadLeft(40, 'c');

    private static JsonObject Slipway(long id, string sourceCommit, string sourceTime, string? rollbackOf = null) =>
        GitHubApiSimulation.SlipwayPayload(Sha(id), Image, sourceCommit, sourceTime, $"run-{id}", rollbackOf);

    private static JsonObject Deployment(long id, string createdAt, JsonObject? payload) =>
        GitHubApiSimulation.DeploymentJson(id, Sha(id), "production", payload ?? new JsonObject(), createdAt);

    /// <summary>The statuses of deployment <paramref name="id"/>, given oldest first and served newest first as GitHub does.</summary>
    private void Statuses(long id, params (string State, string At)[] statuses) =>
        github.Simulation.DeploymentStatuses(id, statuses
            .Select((status, index) => GitHubApiSimulation.DeploymentStatusJson(id * 10 + index, status.State, status.At,
                status.State == "success" ? "http://127.0.0.1:8080/" : null))
            .Reverse().ToArray());

    private DoraMetrics Metrics(int maxDeployments = GitHubDeploymentHistoryReader.DefaultMaxDeployments)
    {
        var log = github.Log.Logger();
        var client = new OctokitGitHubClient(github.Options(), log);
        return new DoraMetrics(git.Repository(), log, new GitHubDeploymentSource(client, new GitHubRepository(GitHubApiSimulation.Owner, GitHubApiSimulation.Repo), maxDeployments));
    }

    private DoraRequest Request(int days = 7) =>
        new("production", days, SourceRepository: null, Path.Combine(git.Root, "artifacts"), Now: Now, Source: DoraSource.GitHub);

    [Fact]
    public async Task Simulated_GitHub_deployments_give_the_DORA_figures()
    {
        var s0 = new string('0', 40);
        var s1 = new string('1', 40);
        var s2 = new string('2', 40);
        var s4 = new string('4', 40);
        var s5 = new string('5', 40);
        github.Simulation.Deployments("production",
            Deployment(107, "2026-11-27T10:00:00Z", Slipway(107, s5, "2026-11-27T08:00:00Z")),                 // still in progress: left out
            Deployment(106, "2026-11-26T10:00:00Z", null),                                                     // another tool, no payload
            Deployment(105, "2026-11-25T12:00:00Z", Slipway(105, s5, "2026-11-25T11:30:00Z")),
            Deployment(104, "2026-11-25T10:00:00Z", Slipway(104, s4, "2026-11-25T09:00:00Z")),                 // fails
            Deployment(103, "2026-11-24T11:00:00Z", Slipway(103, s1, "2026-11-23T08:00:00Z", rollbackOf: Sha(102))),
            Deployment(102, "2026-11-24T10:00:00Z", Slipway(102, s2, "2026-11-24T10:10:00+01:00")),
            Deployment(101, "2026-11-23T10:00:00Z", Slipway(101, s1, "2026-11-23T08:00:00Z")),
            Deployment(100, "2026-11-20T10:00:00Z", Slipway(100, s0, "2026-11-20T08:00:00Z")),                 // live when the window began
            Deployment(99, "2026-11-19T10:00:00Z", Slipway(99, s0, "2026-11-19T08:00:00Z")));                  // older: its statuses are not read
        Statuses(107, ("in_progress", "2026-11-27T10:00:05Z"));
        Statuses(106, ("success", "2026-11-26T10:02:00Z"));
        Statuses(105, ("in_progress", "2026-11-25T12:00:05Z"), ("success", "2026-11-25T12:30:00Z"), ("inactive", "2026-11-26T10:02:00Z"));
        Statuses(104, ("in_progress", "2026-11-25T10:00:05Z"), ("failure", "2026-11-25T10:15:00Z"));
        Statuses(103, ("in_progress", "2026-11-24T11:00:05Z"), ("success", "2026-11-24T11:10:00Z"), ("inactive", "2026-11-25T12:30:00Z"));
        Statuses(102, ("in_progress", "2026-11-24T10:00:05Z"), ("success", "2026-11-24T10:10:00Z"), ("inactive", "2026-11-24T11:10:00Z"));
        Statuses(101, ("success", "2026-11-23T10:05:00Z"), ("inactive", "2026-11-24T10:10:00Z"));
        Statuses(100, ("success", "2026-11-20T10:05:00Z"), ("inactive", "2026-11-23T10:05:00Z"));
        // Run records still come from the config repo.
        var runStart = DateTimeOffset.Parse("2026-11-25T11:40:00Z", CultureInfo.InvariantCulture);
        await new RunRecordStore(git.Repository("ci"), git.Logs.Logger()).AppendAsync(new RunRecord("run-105", "github-actions", runStart,
                TimeSpan.FromMinutes(50), RunResult.Succeeded, "production", Image, s5,
                [new StageRecord("Compile", runStart, TimeSpan.FromMinutes(5), RunResult.Succeeded),
                 new StageRecord("Promote", runStart.AddMinutes(5), TimeSpan.FromMinutes(45), RunResult.Succeeded)]),
            text => text, Cancel);

        var report = await Metrics().ComputeAsync(Request(), Cancel);

        // In the window (Nov 22–28): deploys 101, 102, 104 (failed), 105, 106; 103 is a rollback; 107 has no outcome yet.
        Assert.Equal(5, report.DeploymentFrequency.Deployments);
        Assert.Equal(5.0 / 7, report.DeploymentFrequency.PerDay, 9);
        Assert.Equal(PerformanceCluster.High, report.DeploymentFrequency.Cluster);
        Assert.Equal([Sha(101), Sha(102), Sha(103), Sha(104), Sha(105), Sha(106)], report.Deployments.Select(row => row.Sha));
        // Failed: 102 (rolled back by 103) and 104 (failure status); 2 of 5 is the low cluster's 40 %.
        Assert.Equal((2, 0.4), (report.ChangeFailureRate.Failed, report.ChangeFailureRate.Rate));
        Assert.Equal(PerformanceCluster.Low, report.ChangeFailureRate.Cluster);
        Assert.Equal([(Sha(102), Sha(103)), (Sha(104), Sha(105))], report.Failures.Select(f => (f.Deployment, f.RestoredBy!)));
        // Restored after 1 h (10:10 → 11:10) and 2 h 30 (created 10:00 → 12:30): median 1 h 45.
        Assert.Equal((2, 0), (report.RecoveryTime.Restored, report.RecoveryTime.Unresolved));
        Assert.Equal(TimeSpan.FromMinutes(105), report.RecoveryTime.Median);
        // Lead times (head commits, no source repo given): 2 h 05, 1 h (09:10Z → 10:10), 1 h, and 2 min for the payload-less one.
        Assert.Equal([s1, s2, s5, Sha(106)], report.LeadTimes.Select(row => row.SourceCommit));
        Assert.Equal([125.0, 60, 60, 2], report.LeadTimes.Select(row => row.LeadTime.TotalMinutes));
        Assert.Equal(TimeSpan.FromMinutes(60), report.LeadTime.Median);
        Assert.Equal(1, report.StageCycleTimes.Runs);
        Assert.Equal("Promote", report.StageCycleTimes.Bottleneck);
        Assert.Equal(DoraSource.GitHub, report.DeploymentsFrom);
        var artifacts = await DoraMetrics.WriteAsync(report, Path.Combine(git.Root, "artifacts"), Cancel);
        Assert.Contains("\"deploymentsFrom\": \"gitHub\"", await File.ReadAllTextAsync(artifacts.JsonPath, Cancel), StringComparison.Ordinal);
        Assert.Contains("are GitHub Deployments to <code>production</code>", await File.ReadAllTextAsync(artifacts.HtmlPath, Cancel), StringComparison.Ordinal);

        var list = Assert.Single(github.Simulation.To("GET", $"{Repo}/deployments"));
        Assert.Equal(("production", "100"), (list.Query["environment"], list.Query["per_page"]));
        Assert.Equal([100L, 101, 102, 103, 104, 105, 106, 107],
            github.Simulation.Requests.Where(request => request.Path.EndsWith("/statuses", StringComparison.Ordinal))
                .Select(request => long.Parse(request.Path.Split('/')[^2], CultureInfo.InvariantCulture)).Order());
    }

    [Fact]
    public async Task Deployments_are_read_across_linked_pages_up_to_the_limit()
    {
        // 130 deploys, one every hour back from Nov 28 11:00 (all inside a 7-day window), each live 5 minutes later.
        var start = DateTimeOffset.Parse("2026-11-28T11:00:00Z", CultureInfo.InvariantCulture);
        var deployments = Enumerable.Range(0, 130).Select(back =>
        {
            long id = 1000 - back;
            var created = start.AddHours(-back);
            Statuses(id, ("success", created.AddMinutes(5).ToString("O", CultureInfo.InvariantCulture)));
            return Deployment(id, created.ToString("O", CultureInfo.InvariantCulture),
                Slipway(id, id.ToString(CultureInfo.InvariantCulture).PadLeft(40, '5'), created.AddMinutes(-55).ToString("O", CultureInfo.InvariantCulture)));
        }).ToArray();
        github.Simulation.DeploymentPages("production", 100, deployments);

        var report = await Metrics(maxDeployments: 120).ComputeAsync(Request(), Cancel);

        Assert.Equal(2, github.Simulation.To("GET", $"{Repo}/deployments").Count);
        Assert.Equal(120, report.DeploymentFrequency.Deployments);
        Assert.Equal(TimeSpan.FromHours(1), report.LeadTime.Median);
        Assert.Contains("The newest 120 GitHub deployments to production all lie inside the window", github.Log.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(github.Simulation.Requests, request => request.Path.EndsWith("/deployments/880/statuses", StringComparison.Ordinal));
        // The statuses of the 10 deployments past the limit were stubbed but never asked for.
        Assert.Equal(120, github.Simulation.Requests.Count(request => request.Path.EndsWith("/statuses", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Without_GitHub_configured_the_github_source_is_a_clear_error()
    {
        var metrics = new DoraMetrics(git.Repository(), git.Logs.Logger());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => metrics.ComputeAsync(Request(), Cancel));

        Assert.Contains("--dora-source github", error.Message, StringComparison.Ordinal);
        Assert.Contains("--github-token", error.Message, StringComparison.Ordinal);
        Assert.Contains("--github-config-repo", error.Message, StringComparison.Ordinal);
    }
}
