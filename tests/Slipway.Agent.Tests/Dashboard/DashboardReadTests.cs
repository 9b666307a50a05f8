using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Promotion;
using static Slipway.Agent.Tests.Dashboard.DashboardRequests;

namespace Slipway.Agent.Tests.Dashboard;

/// <summary>The dashboard's read side in-process (fast tier): history with trailers, diffs, flags, DORA and the live feed.</summary>
public sealed class DashboardReadTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task History_names_each_commit_kind_with_its_trailers_and_shows_any_commit_by_its_validated_id()
    {
        await using var host = await DashboardTestHost.StartAsync();
        await host.DeployAsync("staging", DashboardTestHost.ImageA);
        await new FlagCommitter(host.Writer, TestLogger.Create("dashboard")).SetFlagAsync("staging", "Greeting.V2", "30%", "run-2", cancellationToken: Cancel);
        await new EnvironmentRollback(host.Writer, TestLogger.Create("dashboard")).RollBackAsync("staging", "run-3", cancellationToken: Cancel);
        var promoted = await host.DeployAsync("production", DashboardTestHost.ImageA);
        using var http = host.Client();

        var staging = await http.GetFromJsonAsync<JsonElement>("/dashboard/api/environments/staging/history", Cancel);
        Assert.Equal(["rollback", "flag", "deploy"], staging.EnumerateArray().Select(e => e.GetProperty("kind").GetString()));
        Assert.Equal(staging[1].GetProperty("sha").GetString(), staging[0].GetProperty("trailers").GetProperty("Slipway-Rollback-Of").GetString());
        Assert.Equal("Greeting.V2=30%", staging[1].GetProperty("trailers").GetProperty(FlagCommitter.FlagTrailerKey).GetString());
        var production = await http.GetFromJsonAsync<JsonElement>("/dashboard/api/environments/production/history", Cancel);
        Assert.Equal("promotion", production[0].GetProperty("kind").GetString());   // production has a promotion policy

        var shown = await http.GetStringAsync($"/dashboard/api/commits/{promoted}", Cancel);
        Assert.Contains($"Slipway-Image: {DashboardTestHost.ImageA}", shown);
        Assert.Contains("+++ b/environments/production/deployment.yaml", shown);
        foreach (var bad in new[] { "HEAD", "--output=x", "abc", "main~1" })
        {
            using var refused = await http.GetAsync($"/dashboard/api/commits/{Uri.EscapeDataString(bad)}", Cancel);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }
        using var missing = await http.GetAsync($"/dashboard/api/commits/{new string('e', 40)}", Cancel);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var unknown = await http.GetAsync("/dashboard/api/environments/qa/history", Cancel);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Flags_show_each_environments_current_values_and_dora_is_the_metrics_computation()
    {
        await using var host = await DashboardTestHost.StartAsync();
        await host.DeployAsync("staging", DashboardTestHost.ImageA);
        await new FlagCommitter(host.Writer, TestLogger.Create("dashboard")).SetFlagAsync("staging", "Greeting.Style", "Formal=70,Casual=30", "run-2", cancellationToken: Cancel);
        await host.DeployAsync("staging", DashboardTestHost.ImageB, run: "run-3");
        using var http = host.Client();

        var flags = await http.GetFromJsonAsync<JsonElement>("/dashboard/api/environments/staging/flags", Cancel);
        var values = flags.EnumerateArray().ToDictionary(f => f.GetProperty("flag").GetString()!, f => f.GetProperty("value").GetString());
        Assert.Equal("Formal=70,Casual=30", values["Greeting.Style"]);
        Assert.Equal(["Greeting.Style", "Greeting.V2"], values.Keys.Order());
        Assert.Empty(await http.GetFromJsonAsync<JsonElement[]>("/dashboard/api/environments/production/flags", Cancel) ?? []);

        var dora = await http.GetFromJsonAsync<JsonElement>("/dashboard/api/dora?environment=staging&window=7", Cancel);
        var expected = await new Slipway.Delivery.Metrics.DoraMetrics(host.Writer, TestLogger.Create("dashboard"))
            .ComputeAsync(new Slipway.Delivery.Metrics.DoraRequest("staging", 7, null, host.Deploy), Cancel);
        Assert.Equal(expected.DeploymentFrequency.Deployments, dora.GetProperty("deploymentFrequency").GetProperty("deployments").GetInt32());
        Assert.True(expected.DeploymentFrequency.Deployments >= 2);
        Assert.Equal(7, dora.GetProperty("deploysPerDay").GetArrayLength());
        using var badWindow = await http.GetAsync("/dashboard/api/dora?environment=staging&window=12", Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, badWindow.StatusCode);
    }

    [Fact]
    public async Task The_live_feed_sends_every_environment_then_each_status_change_as_it_happens()
    {
        await using var host = await DashboardTestHost.StartAsync();
        using var http = host.Client();
        using var response = await http.GetAsync("/dashboard/api/events", HttpCompletionOption.ResponseHeadersRead, Cancel);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Cancel));

        var first = await NextEventAsync(reader);
        var second = await NextEventAsync(reader);
        Assert.Equal(["production", "staging"], new[] { first, second }.Select(e => e.GetProperty("name").GetString()));

        await AgentUnderTest.EventuallyAsync(() => Task.FromResult(host.Feed.Subscribers), n => n == 1, "the browser is subscribed", seconds: 10);
        var rollout = new RolloutStatus("canary", RolloutPhase.Progressing, new string('c', 40), "sha256:b", "sha256:a", 2, 3, 50, null,
            [new AnalysisResult(1, 20, DateTimeOffset.UtcNow, 40, 0, 12.5, 160, 0, 11, AnalysisVerdict.Passed, "within thresholds")], [], null, null,
            DateTimeOffset.UtcNow, null);
        host.Board.Update("production", status => status with { Health = EnvironmentHealth.Progressing, Rollout = rollout });

        var pushed = await NextEventAsync(reader);
        Assert.Equal("production", pushed.GetProperty("name").GetString());
        Assert.Equal(2, pushed.GetProperty("rollout").GetProperty("step").GetInt32());
        Assert.Equal(50, pushed.GetProperty("rollout").GetProperty("canaryWeight").GetInt32());
        Assert.Equal(160, pushed.GetProperty("rollout").GetProperty("analysis")[0].GetProperty("stableRequests").GetInt32());
    }
}
