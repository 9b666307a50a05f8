using Spectre.Console;
using Spectre.Console.Rendering;

namespace Slipway.Delivery.Metrics;

/// <summary>The report as a Spectre.Console table (figure, value, DORA 2024 cluster, detail) plus the stage table.</summary>
public static class DoraTable
{
    public static IRenderable Render(DoraReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var window = report.Window;
        var table = new Table().RoundedBorder()
            .Title($"[bold]DORA metrics — {Markup.Escape(report.Environment)}[/], {window.Days} days ({window.FirstDay:yyyy-MM-dd} – {window.LastDay:yyyy-MM-dd}, {Markup.Escape(window.TimeZone)})" +
                   (report.DeploymentsFrom == DoraSource.GitHub ? ", from GitHub Deployments" : ""))
            .Caption($"[grey]Clusters: {Markup.Escape(PerformanceClusters.Source)}[/]")
            .AddColumn("Metric").AddColumn(new TableColumn("Value").RightAligned()).AddColumn("Cluster").AddColumn("Detail");

        var frequency = report.DeploymentFrequency;
        table.AddRow(new Text("Deployment frequency"), new Text($"{Humanize.Number(frequency.PerDay)}/day · {Humanize.Number(frequency.PerWeek)}/week"),
            Cluster(frequency.Cluster),
            new Text($"{frequency.Deployments} deployments on {frequency.DaysWithDeploys} days; Four Keys: {frequency.FourKeysBucket}"));
        var lead = report.LeadTime;
        table.AddRow(new Text("Lead time for changes"), new Text($"median {Humanize.Duration(lead.Median)}"), Cluster(lead.Cluster),
            new Text($"p90 {Humanize.Duration(lead.P90)} over {lead.Changes} source commits"));
        var failures = report.ChangeFailureRate;
        table.AddRow(new Text("Change failure rate"), new Text(Humanize.Percent(failures.Rate)), Cluster(failures.Cluster),
            new Text($"{failures.Failed} of {failures.Deployments} deployments {report.FailedHow()}"));
        var recovery = report.RecoveryTime;
        table.AddRow(new Text("Failed deployment recovery time"), new Text($"median {Humanize.Duration(recovery.Median)}"), Cluster(recovery.Cluster),
            new Text($"{recovery.Restored} restored" + (recovery.Unresolved > 0 ? $", {recovery.Unresolved} still failing" : "")));
        var mttf = report.MeanTimeToFailure;
        table.AddRow(new Text("Mean time to failure"), new Text(Humanize.Duration(mttf.Mean)), new Text(""),
            new Text($"{Humanize.Duration(mttf.ObservedTime)} in service, {mttf.Failures} failed deployments"));
        var rework = report.ReworkRate;
        table.AddRow(new Text("Deployment rework rate"), new Text(Humanize.Percent(rework.Rate)), new Text(""),
            new Text($"{rework.Fixes} of {rework.Deployments} deployments were unplanned fixes"));
        var stages = report.StageCycleTimes;
        table.AddRow(new Text("Pipeline cycle time"), new Text($"median {Humanize.Duration(stages.MedianRunDuration)}"), new Text(""),
            new Text(stages.Bottleneck is null ? $"{stages.Runs} runs recorded" : $"{stages.Runs} runs; bottleneck: {stages.Bottleneck}"));

        if (stages.Stages.Count == 0) return table;
        var stageTable = new Table().RoundedBorder().Title("[bold]Stage cycle times[/]")
            .AddColumn("Stage").AddColumn(new TableColumn("Median").RightAligned()).AddColumn(new TableColumn("p90").RightAligned())
            .AddColumn(new TableColumn("Runs").RightAligned()).AddColumn(new TableColumn("Failed").RightAligned());
        foreach (var stage in stages.Stages)
        {
            var name = stage.Name == stages.Bottleneck ? $"[bold yellow]{Markup.Escape(stage.Name)} (bottleneck)[/]" : Markup.Escape(stage.Name);
            stageTable.AddRow(new Markup(name), new Text(Humanize.Duration(stage.Median)), new Text(Humanize.Duration(stage.P90)),
                new Text(stage.Runs.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new Text(stage.Failed.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        return new Rows(table, stageTable);
    }

    private static Markup Cluster(PerformanceCluster? cluster) => cluster switch
    {
        PerformanceCluster.Elite => new Markup("[bold green]Elite[/]"),
        PerformanceCluster.High => new Markup("[green]High[/]"),
        PerformanceCluster.Medium => new Markup("[yellow]Medium[/]"),
        PerformanceCluster.Low => new Markup("[red]Low[/]"),
        _ => new Markup("[grey]no data[/]"),
    };
}
