using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Slipway.Delivery.Metrics;
using Slipway.Delivery.RunRecords;
using Spectre.Console;

namespace Slipway.Delivery.Tests.Metrics;

/// <summary>The whole Metrics call on a month of generated history: the table and dora.json's schema.</summary>
public sealed class DoraReportTests : DoraReportScenario
{
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
}
