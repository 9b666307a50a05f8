using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Slipway.Delivery.Metrics;
using Slipway.Delivery.RunRecords;
using Spectre.Console;

namespace Slipway.Delivery.Tests.Metrics;

/// <summary>
/// The whole Metrics call on a month of generated history (real config and source repos, run records in the config repo):
/// the table, dora.json's schema, and dora.html as headless Chromium builds it.
/// </summary>
public sealed partial class DoraReportTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-28T17:00:00Z", CultureInfo.InvariantCulture);
    private DeliveryHistory git = null!;

    public async ValueTask InitializeAsync() => git = await DeliveryHistory.CreateAsync();

    public ValueTask DisposeAsync()
    {
        git.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// 30 days of a team's delivery: most working days one or two deploys of one to four commits; a deploy rolled back after
    /// 25 minutes (whose rollback is itself reverted the next morning) and a fix forward after two hours.
    /// </summary>
    private async Task GenerateMonthAsync()
    {
        var random = new Random(20261128);
        var day = new DateTimeOffset(2026, 10, 30, 0, 0, 0, TimeSpan.Zero);
        string? live = null;
        for (var index = 0; index < 30; index++, day = day.AddDays(1))
        {
            if (day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday) continue;
            var deploys = 1 + random.Next(2);
            for (var deploy = 0; deploy < deploys; deploy++)
            {
                var at = day.AddHours(10 + deploy * 4 + random.Next(3));
                var commits = 1 + random.Next(4);
                string source = "";
                for (var commit = 0; commit < commits; commit++)
                    source = await git.SourceCommitAsync(Iso(at.AddMinutes(-(20 + random.Next(60 * 24 * (commit + 1)))).AddSeconds(-commit)), $"change {index}.{deploy}.{commit}");
                var sha = await git.DeployAsync(Iso(at), source, changeType: "feature");
                if (index == 10 && deploy == 0)
                {
                    var rollback = await git.RollbackAsync(Iso(at.AddMinutes(25)), sha, live!);
                    await git.RollbackAsync(Iso(at.AddHours(20)), rollback, source);
                }
                else if (index == 18 && deploy == 0)
                {
                    var fix = await git.SourceCommitAsync(Iso(at.AddMinutes(70)), "fix");
                    await git.DeployAsync(Iso(at.AddHours(2)), fix, changeType: "fix");
                    source = fix;
                }
                live = source;
            }
        }
        var last = await git.SourceCommitAsync(Iso(Now.AddHours(-3)), "late change");
        await git.DeployAsync(Iso(Now.AddHours(-2)), last);

        var store = new RunRecordStore(git.Repository("runs"), git.Logs.Logger());
        string[] stages = ["Compile", "Test", "Containerize", "ContainerTest", "Push", "Deploy", "SmokeTest", "Promote"];
        double[] typical = [35, 80, 45, 110, 12, 8, 20, 150];
        for (var run = 0; run < 8; run++)
        {
            var start = Now.AddDays(-run * 3 - 1);
            var offset = TimeSpan.Zero;
            var records = new List<StageRecord>();
            for (var stage = 0; stage < stages.Length; stage++)
            {
                var duration = TimeSpan.FromSeconds(Math.Round(typical[stage] * (0.8 + random.NextDouble() * 0.5), 1));
                records.Add(new StageRecord(stages[stage], start + offset, duration, RunResult.Succeeded));
                offset += duration;
            }
            await store.AppendAsync(new RunRecord($"run-{run}", "local", start, offset, RunResult.Succeeded, "production",
                "127.0.0.1:5000/beacon@sha256:" + new string('c', 64), null, records), text => text, TestContext.Current.CancellationToken);
        }
    }

    private static string Iso(DateTimeOffset time) => time.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private async Task<DoraArtifacts> ReportAsync(StringWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 160;
        return await new DoraMetrics(git.Repository(), git.Logs.Logger()).ReportAsync(
            new DoraRequest("production", 30, git.SourceDirectory, Path.Combine(git.Root, "artifacts"), Now: Now), console, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task The_table_and_dora_json_carry_every_figure()
    {
        await GenerateMonthAsync();
        var output = new StringWriter();

        var artifacts = await ReportAsync(output);

        var report = artifacts.Report;
        Assert.True(report.DeploymentFrequency.Deployments > 20);
        Assert.Equal([TimeSpan.FromMinutes(25), TimeSpan.FromHours(2)], report.Failures.Select(failure => failure.RecoveryTime!.Value));
        Assert.Equal(TimeSpan.FromMinutes(72.5), report.RecoveryTime.Median);
        var table = output.ToString();
        var keep = Path.Combine(AppContext.BaseDirectory, "dora-report");   // kept to look at, beside the screenshot
        Directory.CreateDirectory(keep);
        await File.WriteAllTextAsync(Path.Combine(keep, "table.txt"), table, TestContext.Current.CancellationToken);
        foreach (var text in new[] { "Deployment frequency", "Lead time for changes", "Change failure rate", "Failed deployment recovery time",
                     "Mean time to failure", "Deployment rework rate", "Pipeline cycle time", "bottleneck: Promote", "Accelerate State of DevOps Report 2024" })
            Assert.Contains(text, table);

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(artifacts.JsonPath, TestContext.Current.CancellationToken));
        var root = json.RootElement;
        Assert.Equal("slipway.dora/v1", root.GetProperty("schema").GetString());
        Assert.Equal("production", root.GetProperty("environment").GetString());
        Assert.Equal(30, root.GetProperty("window").GetProperty("days").GetInt32());
        Assert.Equal("2026-10-30", root.GetProperty("window").GetProperty("firstDay").GetString());
        Assert.Equal(report.DeploymentFrequency.Deployments, root.GetProperty("deploymentFrequency").GetProperty("deployments").GetInt32());
        Assert.Equal(report.LeadTime.Median!.Value.TotalSeconds, root.GetProperty("leadTime").GetProperty("median").GetDouble(), 3);
        Assert.Equal(report.ChangeFailureRate.Cluster.ToString()!.ToLowerInvariant(), root.GetProperty("changeFailureRate").GetProperty("cluster").GetString());
        Assert.Equal("promote", root.GetProperty("stageCycleTimes").GetProperty("bottleneck").GetString()!.ToLowerInvariant());
        Assert.Equal(30, root.GetProperty("deploysPerDay").GetArrayLength());
        Assert.Equal(25 * 60, root.GetProperty("failures")[0].GetProperty("recoveryTime").GetDouble());
        Assert.Equal("rollback", root.GetProperty("failures")[0].GetProperty("restoredByKind").GetString());
    }

    [Fact]
    public async Task Dora_html_opens_offline_in_headless_chromium_with_every_chart_drawn()
    {
        using var chromium = await HeadlessChromium.RequireAsync(TestContext.Current.CancellationToken);
        await GenerateMonthAsync();
        var artifacts = await ReportAsync(new StringWriter());
        var html = await File.ReadAllTextAsync(artifacts.HtmlPath, TestContext.Current.CancellationToken);
        Assert.DoesNotMatch(ExternalReference(), html);   // self-contained: nothing to fetch

        var (dom, log) = await chromium.DumpDomAsync(artifacts.HtmlPath, TestContext.Current.CancellationToken);

        Assert.Empty(HeadlessChromium.ConsoleMessages(log));
        var status = StatusElement().Match(dom);
        Assert.True(status.Success, "the page's check wrote no status element");
        Assert.Equal("ready", status.Groups["status"].Value);
        var marks = JsonSerializer.Deserialize<Dictionary<string, int>>(System.Net.WebUtility.HtmlDecode(status.Groups["marks"].Value))!;
        Assert.Equal(["deploys-per-day", "lead-time", "failures", "stages"], marks.Keys);
        var report = artifacts.Report;
        Assert.Equal(report.DeploysPerDay.Count(day => day.Deployments > day.Failed) + report.DeploysPerDay.Count(day => day.Failed > 0)
                     + report.DeploysPerDay.Count(day => day.Rollbacks > 0), marks["deploys-per-day"]);
        Assert.True(marks["lead-time"] >= 3, $"lead-time histogram has {marks["lead-time"]} bars");
        Assert.Equal(report.Deployments.Count + report.Failures.Count * 3, marks["failures"]);
        Assert.Equal(8, marks["stages"]);

        // A screenshot to look at (kept beside the test binaries: bin/.../dora-report/).
        var keep = Path.Combine(AppContext.BaseDirectory, "dora-report");
        Directory.CreateDirectory(keep);
        File.Copy(artifacts.HtmlPath, Path.Combine(keep, "dora.html"), overwrite: true);
        var png = Path.Combine(keep, "dora.png");
        var screenshotLog = await chromium.ScreenshotAsync(artifacts.HtmlPath, png, 1280, 2000, TestContext.Current.CancellationToken);
        Assert.Empty(HeadlessChromium.ConsoleMessages(screenshotLog));
        Assert.True(new FileInfo(png).Length > 50_000, "the screenshot is nearly empty");
    }

    [Fact]
    public async Task The_console_check_does_catch_a_failing_script()
    {
        using var chromium = await HeadlessChromium.RequireAsync(TestContext.Current.CancellationToken);
        var page = Path.Combine(git.Root, "broken.html");
        await File.WriteAllTextAsync(page, "<!DOCTYPE html><html><body><script>notDefined();</script></body></html>", TestContext.Current.CancellationToken);

        var (_, log) = await chromium.DumpDomAsync(page, TestContext.Current.CancellationToken);

        Assert.Contains(HeadlessChromium.ConsoleMessages(log), line => line.Contains("Uncaught ReferenceError", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_empty_report_still_renders_with_a_message_per_chart()
    {
        using var chromium = await HeadlessChromium.RequireAsync(TestContext.Current.CancellationToken);
        var artifacts = await ReportAsync(new StringWriter());

        var (dom, log) = await chromium.DumpDomAsync(artifacts.HtmlPath, TestContext.Current.CancellationToken);

        Assert.Empty(HeadlessChromium.ConsoleMessages(log));
        Assert.Equal("ready", StatusElement().Match(dom).Groups["status"].Value);
        Assert.Contains("No deployments in this window", dom);
        Assert.Contains("No pipeline runs recorded in this window", dom);
        var keep = Path.Combine(AppContext.BaseDirectory, "dora-report");
        Directory.CreateDirectory(keep);
        await chromium.ScreenshotAsync(artifacts.HtmlPath, Path.Combine(keep, "dora-empty.png"), 1280, 1100, TestContext.Current.CancellationToken);
    }

    [GeneratedRegex("""(src|href)\s*=\s*["']?(https?:|//)|@import|url\(\s*["']?https?:""", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalReference();

    [GeneratedRegex("""id="report-status"[^>]*?data-status="(?<status>[^"]*)"(?:[^>]*?data-marks="(?<marks>[^"]*)")?""")]
    private static partial Regex StatusElement();
}
