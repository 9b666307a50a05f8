using System.Globalization;
using System.Net;
using System.Text;

namespace Slipway.Delivery.Metrics;

/// <summary>
/// The report's charts as inline SVG, drawn here so the page needs no script library and no network. Every data mark
/// carries <c>data-mark</c> (the page's check counts them) and a &lt;title&gt; the browser shows as a tooltip.
/// </summary>
public static class SvgCharts
{
    private const double Width = 640, Height = 260, Left = 48, Right = 16, Top = 18, Bottom = 44;
    private const double PlotWidth = Width - Left - Right, PlotHeight = Height - Top - Bottom;

    public const string Deploy = "#3b82f6", Failed = "#dc2626", Restore = "#16a34a", Rollback = "#7c3aed", Muted = "#94a3b8", Accent = "#f59e0b";

    /// <summary>Bars per day: deployments (blue) with the failed ones stacked in red; a violet tick under a day with rollbacks.</summary>
    public static string DeploysPerDay(DoraReport report)
    {
        var days = report.DeploysPerDay;
        if (days.All(day => day.Deployments == 0 && day.Rollbacks == 0)) return Empty("deploys-per-day", "No deployments in this window");
        var svg = Open("deploys-per-day", "Deployments per day");
        var max = Math.Max(1, days.Max(day => day.Deployments));
        var ticks = YAxis(svg, max, value => value.ToString(CultureInfo.InvariantCulture));
        var slot = PlotWidth / days.Count;
        var barWidth = Math.Max(2, Math.Min(28, slot * 0.7));
        var labelEvery = Math.Max(1, (int)Math.Ceiling(days.Count / 8.0));
        for (var index = 0; index < days.Count; index++)
        {
            var day = days[index];
            var x = Left + slot * index + (slot - barWidth) / 2;
            var ok = day.Deployments - day.Failed;
            var okHeight = PlotHeight * ok / ticks;
            var failedHeight = PlotHeight * day.Failed / ticks;
            var date = day.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            if (ok > 0) Rect(svg, x, Top + PlotHeight - okHeight, barWidth, okHeight, Deploy, $"{date}: {ok} deployment(s) that held", rounded: true);
            if (day.Failed > 0) Rect(svg, x, Top + PlotHeight - okHeight - failedHeight, barWidth, failedHeight, Failed, $"{date}: {day.Failed} deployment(s) that failed", rounded: true);
            if (day.Rollbacks > 0)
                svg.Append(CultureInfo.InvariantCulture, $"""<path data-mark="" d="M{F(x + barWidth / 2)} {F(Top + PlotHeight + 4)} l5 8 h-10 z" fill="{Rollback}"><title>{Escape($"{date}: {day.Rollbacks} rollback(s)")}</title></path>""");
            // Every labelEvery-th day from the last one backwards, so the latest day is always named and labels never collide.
            if ((days.Count - 1 - index) % labelEvery == 0)
                Text(svg, Left + slot * index + slot / 2, Height - 14, day.Day.ToString("MMM d", CultureInfo.InvariantCulture), "middle");
        }
        Legend(svg, [(Deploy, "held"), (Failed, "failed"), (Rollback, "rollback")]);
        return Close(svg);
    }

    /// <summary>The bounds of the lead-time histogram's buckets, aligned with the clusters' day/week/month edges.</summary>
    public static IReadOnlyList<(string Label, TimeSpan Below)> LeadTimeBuckets { get; } =
    [
        ("< 1 h", TimeSpan.FromHours(1)), ("1–4 h", TimeSpan.FromHours(4)), ("4–24 h", TimeSpan.FromDays(1)), ("1–3 d", TimeSpan.FromDays(3)),
        ("3–7 d", TimeSpan.FromDays(7)), ("1–4 w", TimeSpan.FromDays(30)), ("> 1 mo", TimeSpan.MaxValue),
    ];

    /// <summary>How many credited source commits fall in each lead-time bucket; the bars of the cluster's range share a colour.</summary>
    public static string LeadTimeDistribution(DoraReport report)
    {
        if (report.LeadTimes.Count == 0) return Empty("lead-time", "No source commits reached the environment in this window");
        var counts = LeadTimeBuckets.Select((bucket, index) => report.LeadTimes.Count(row =>
            row.LeadTime < bucket.Below && (index == 0 || row.LeadTime >= LeadTimeBuckets[index - 1].Below))).ToList();
        var svg = Open("lead-time", "Lead time for changes");
        var ticks = YAxis(svg, Math.Max(1, counts.Max()), value => value.ToString(CultureInfo.InvariantCulture));
        var slot = PlotWidth / counts.Count;
        for (var index = 0; index < counts.Count; index++)
        {
            var (label, below) = LeadTimeBuckets[index];
            var colour = ClusterColour(PerformanceClusters.LeadTime(below == TimeSpan.MaxValue ? below : below - TimeSpan.FromTicks(1)));
            var height = PlotHeight * counts[index] / ticks;
            var x = Left + slot * index + slot * 0.15;
            if (counts[index] > 0) Rect(svg, x, Top + PlotHeight - height, slot * 0.7, height, colour, $"{label}: {counts[index]} commit(s)", rounded: true);
            Text(svg, Left + slot * index + slot / 2, Height - 24, label, "middle");
        }
        Text(svg, Left + PlotWidth / 2, Height - 6, $"median {Humanize.Duration(report.LeadTime.Median)} · p90 {Humanize.Duration(report.LeadTime.P90)}", "middle", "axis-title");
        return Close(svg);
    }

    /// <summary>The window as a time line: deployments as dots, failures red, restores green, the outage as a red band between.</summary>
    public static string FailureTimeline(DoraReport report)
    {
        if (report.Deployments.Count == 0) return Empty("failures", "No deployments in this window");
        var start = report.Window.Start;
        var end = report.Window.End;
        var span = (end - start).TotalSeconds;
        double X(DateTimeOffset time) => Left + PlotWidth * Math.Clamp((time - start).TotalSeconds / span, 0, 1);
        var svg = Open("failures", "Failures and restores");
        const double deployLane = Top + 70, failureLane = Top + 130;
        Text(svg, Left - 6, deployLane + 4, "deploys", "end");
        Text(svg, Left - 6, failureLane + 4, "outages", "end");
        svg.Append(CultureInfo.InvariantCulture, $"""<line class="grid" x1="{F(Left)}" x2="{F(Left + PlotWidth)}" y1="{F(deployLane)}" y2="{F(deployLane)}"/><line class="grid" x1="{F(Left)}" x2="{F(Left + PlotWidth)}" y1="{F(failureLane)}" y2="{F(failureLane)}"/>""");
        var labelDays = Math.Max(1, (int)Math.Ceiling(report.Window.Days / 7.0));
        for (var day = 0; day <= report.Window.Days; day += labelDays)
        {
            var x = Left + PlotWidth * day / report.Window.Days;
            svg.Append(CultureInfo.InvariantCulture, $"""<line class="grid light" x1="{F(x)}" x2="{F(x)}" y1="{F(Top)}" y2="{F(Top + PlotHeight)}"/>""");
            Text(svg, x, Height - 14, report.Window.FirstDay.AddDays(day).ToString("MMM d", CultureInfo.InvariantCulture), "middle");
        }
        foreach (var failure in report.Failures)
        {
            var from = X(failure.FailedAt);
            var to = X(failure.RestoredAt ?? report.GeneratedAt);
            var label = failure.RestoredBy is null
                ? $"deploy {Short(failure.Deployment)} failed {Time(failure.FailedAt)}; not restored yet"
                : $"deploy {Short(failure.Deployment)} failed {Time(failure.FailedAt)}; restored by {(failure.RestoredByFix ? "fix" : "rollback")} {Short(failure.RestoredBy)} after {Humanize.Duration(failure.RecoveryTime)}";
            // The failed deploy joined to its outage; the outage band (often a few pixels: minutes in a month), the failure (red)
            // above the lane and the restore (green) below it, so neither hides the other, and the recovery time written beside.
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{F(from)}" x2="{F(from)}" y1="{F(deployLane)}" y2="{F(failureLane)}" stroke="{Failed}" stroke-width="1.5" stroke-dasharray="3 3"/>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<rect data-mark="" x="{F(from)}" y="{F(failureLane - 5)}" width="{F(Math.Max(2, to - from))}" height="10" rx="3" fill="{Failed}" fill-opacity="{(failure.RestoredBy is null ? "0.25" : "0.5")}"><title>{Escape(label)}</title></rect>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<path data-mark="" d="M{F(from)} {F(failureLane - 6)} l-6 -10 h12 z" fill="{Failed}"><title>{Escape(label)}</title></path>""");
            if (failure.RestoredAt is { } restored)
                svg.Append(CultureInfo.InvariantCulture, $"""<path data-mark="" d="M{F(X(restored))} {F(failureLane + 6)} l-6 10 h12 z" fill="{Restore}"><title>{Escape(label)}</title></path>""");
            Text(svg, Math.Max(from, to) + 9, failureLane + 4, failure.RecoveryTime is { } took ? Humanize.Duration(took) : "open", "start", "label");
        }
        foreach (var deployment in report.Deployments)
        {
            var colour = deployment.Kind == DeploymentKind.Rollback ? Rollback : deployment.Failed ? Failed : deployment.IsFix ? Accent : Deploy;
            var what = deployment.Kind switch { DeploymentKind.Rollback => "rollback", DeploymentKind.Redeploy => "redeploy", _ => deployment.IsFix ? "fix deploy" : "deploy" };
            svg.Append(CultureInfo.InvariantCulture, $"""<circle data-mark="" cx="{F(X(deployment.Time))}" cy="{F(deployLane)}" r="6" fill="{colour}" stroke="#fff" stroke-width="1.5"><title>{Escape($"{what} {Short(deployment.Sha)} at {Time(deployment.Time)} ({deployment.Changes} new commit(s))")}</title></circle>""");
        }
        Legend(svg, [(Deploy, "deploy"), (Accent, "fix"), (Rollback, "rollback"), (Failed, "failed / outage"), (Restore, "restored")]);
        return Close(svg);
    }

    /// <summary>Median duration per pipeline stage as horizontal bars with a p90 whisker; the bottleneck in amber.</summary>
    public static string StageDurations(DoraReport report)
    {
        var stages = report.StageCycleTimes.Stages;
        if (stages.Count == 0) return Empty("stages", "No pipeline runs recorded in this window");
        var rowHeight = 26.0;
        var height = Top + rowHeight * stages.Count + 36;
        var left = 140.0;
        var plotWidth = Width - left - Right - 150;   // room for the value and the bottleneck label
        var max = Math.Max(1, stages.Max(stage => stage.P90.TotalSeconds));
        var svg = Open("stages", "Stage durations", height);
        for (var index = 0; index < stages.Count; index++)
        {
            var stage = stages[index];
            var y = Top + rowHeight * index;
            var width = Math.Max(2, plotWidth * stage.Median.TotalSeconds / max);
            var bottleneck = stage.Name == report.StageCycleTimes.Bottleneck;
            Text(svg, left - 8, y + rowHeight / 2 + 4, stage.Name, "end", bottleneck ? "label strong" : "label");
            Rect(svg, left, y + 5, width, rowHeight - 10, bottleneck ? Accent : Deploy,
                $"{stage.Name}: median {Humanize.Duration(stage.Median)}, p90 {Humanize.Duration(stage.P90)}, {stage.Runs} run(s), {stage.Failed} failed", rounded: true);
            var whisker = left + plotWidth * stage.P90.TotalSeconds / max;
            svg.Append(CultureInfo.InvariantCulture, $"""<line class="whisker" x1="{F(left + width)}" x2="{F(whisker)}" y1="{F(y + rowHeight / 2)}" y2="{F(y + rowHeight / 2)}"/><line class="whisker" x1="{F(whisker)}" x2="{F(whisker)}" y1="{F(y + 8)}" y2="{F(y + rowHeight - 8)}"/>""");
            Text(svg, Math.Max(left + width, whisker) + 6, y + rowHeight / 2 + 4, Humanize.Duration(stage.Median) + (bottleneck ? " · bottleneck" : ""), "start", bottleneck ? "label strong" : "label");
        }
        Text(svg, left, height - 10, "bar: median · whisker: p90", "start", "axis-title");
        return Close(svg);
    }

    public static string ClusterColour(PerformanceCluster? cluster) => cluster switch
    {
        PerformanceCluster.Elite => "#15803d",
        PerformanceCluster.High => "#65a30d",
        PerformanceCluster.Medium => "#d97706",
        PerformanceCluster.Low => "#dc2626",
        _ => Muted,
    };

    private static StringBuilder Open(string id, string title, double height = Height)
    {
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg class="chart" id="chart-{id}" data-chart="{id}" viewBox="0 0 {F(Width)} {F(height)}" role="img" aria-label="{Escape(title)}" xmlns="http://www.w3.org/2000/svg">""");
        return svg;
    }

    private static string Close(StringBuilder svg) => svg.Append("</svg>").ToString();

    private static string Empty(string id, string message)
    {
        var svg = Open(id, message, 120);
        Text(svg, Width / 2, 64, message, "middle", "empty");
        return Close(svg);
    }

    /// <summary>Draws gridlines and labels for 0..max with whole-number steps; returns the axis top (the value at the plot's top).</summary>
    private static int YAxis(StringBuilder svg, int max, Func<int, string> label)
    {
        var step = Math.Max(1, (int)Math.Ceiling(max / 4.0));
        var top = step * (int)Math.Ceiling((double)max / step);
        for (var value = 0; value <= top; value += step)
        {
            var y = Top + PlotHeight - PlotHeight * value / top;
            svg.Append(CultureInfo.InvariantCulture, $"""<line class="grid{(value == 0 ? "" : " light")}" x1="{F(Left)}" x2="{F(Left + PlotWidth)}" y1="{F(y)}" y2="{F(y)}"/>""");
            Text(svg, Left - 8, y + 4, label(value), "end");
        }
        return top;
    }

    private static void Legend(StringBuilder svg, IReadOnlyList<(string Colour, string Label)> entries)
    {
        var x = Left + PlotWidth;
        foreach (var (colour, label) in entries.Reverse())
        {
            x -= 14 + label.Length * 6.4;
            svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{F(x)}" y="2" width="10" height="10" rx="2" fill="{colour}"/>""");
            Text(svg, x + 14, 11, label, "start", "legend");
            x -= 10;
        }
    }

    private static void Rect(StringBuilder svg, double x, double y, double width, double height, string colour, string title, bool rounded = false) =>
        svg.Append(CultureInfo.InvariantCulture, $"""<rect data-mark="" x="{F(x)}" y="{F(y)}" width="{F(width)}" height="{F(height)}"{(rounded ? " rx=\"2\"" : "")} fill="{colour}"><title>{Escape(title)}</title></rect>""");

    private static void Text(StringBuilder svg, double x, double y, string text, string anchor, string cssClass = "tick") =>
        svg.Append(CultureInfo.InvariantCulture, $"""<text class="{cssClass}" x="{F(x)}" y="{F(y)}" text-anchor="{anchor}">{Escape(text)}</text>""");

    private static string Short(string? sha) => sha is null ? "" : sha[..Math.Min(8, sha.Length)];

    private static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
