using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Slipway.Delivery.Metrics;
using Slipway.Delivery.RunRecords;
using Spectre.Console;

namespace Slipway.Delivery.Tests.Metrics;

/// <summary>The whole Metrics call on a month of generated history: dora.html as headless Chromium builds it.</summary>
[Trait("Tier", "Engine")]
public sealed partial class DoraReportChromiumTests : DoraReportScenario
{
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
