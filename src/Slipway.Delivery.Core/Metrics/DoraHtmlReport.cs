using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Slipway.Delivery.RunRecords;

namespace Slipway.Delivery.Metrics;

/// <summary>
/// dora.html: one self-contained page (inline CSS, inline SVG charts, a few lines of inline script; no fetch, no CDN) with a
/// summary band of the four keys and their DORA 2024 cluster, the secondary figures, four charts, and the event tables.
/// The script checks the page once loaded and writes its verdict into #report-status (data-status="ready", data-marks
/// per chart), which a headless browser can read.
/// </summary>
public static class DoraHtmlReport
{
    public static string Render(DoraReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var window = report.Window;
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>DORA metrics · {E(report.Environment)}</title>
            <style>{Css}</style>
            </head>
            <body>
            <header>
              <div>
                <p class="eyebrow">Slipway · software delivery performance</p>
                <h1>DORA metrics <span class="env">{E(report.Environment)}</span></h1>
              </div>
              <p class="window">Last {window.Days} days: {window.FirstDay:MMM d} – {window.LastDay:MMM d, yyyy} ({E(window.TimeZone)})<br>
                 <span class="muted">generated {report.GeneratedAt.ToUniversalTime():yyyy-MM-dd HH:mm} UTC</span></p>
            </header>
            <main>
            <section class="keys" aria-label="The four keys">
            """);
        var frequency = report.DeploymentFrequency;
        Card(html, "Deployment frequency", $"{Humanize.Number(frequency.PerDay)}", "per day",
            $"{frequency.Deployments} deployments · {Humanize.Number(frequency.PerWeek)}/week · Four Keys: {frequency.FourKeysBucket}",
            frequency.Cluster, frequency.Cluster is { } c1 ? PerformanceClusters.Describe("deployment-frequency", c1) : "no deployments");
        Card(html, "Lead time for changes", Humanize.Duration(report.LeadTime.Median), "median",
            $"p90 {Humanize.Duration(report.LeadTime.P90)} · {report.LeadTime.Changes} source commits",
            report.LeadTime.Cluster, report.LeadTime.Cluster is { } c2 ? PerformanceClusters.Describe("lead-time", c2) : "no changes deployed");
        Card(html, "Change failure rate", Humanize.Percent(report.ChangeFailureRate.Rate), "",
            $"{report.ChangeFailureRate.Failed} of {report.ChangeFailureRate.Deployments} deployments {report.FailedHow()}",
            report.ChangeFailureRate.Cluster, report.ChangeFailureRate.Cluster is { } c3 ? PerformanceClusters.Describe("change-failure-rate", c3) : "no deployments");
        Card(html, "Failed deployment recovery time", Humanize.Duration(report.RecoveryTime.Median), "median",
            $"{report.RecoveryTime.Restored} restored" + (report.RecoveryTime.Unresolved > 0 ? $" · {report.RecoveryTime.Unresolved} still failing" : ""),
            report.RecoveryTime.Cluster, report.RecoveryTime.Cluster is { } c4 ? PerformanceClusters.Describe("recovery-time", c4) : "no failures to recover from");
        html.Append("</section>\n<section class=\"secondary\" aria-label=\"More figures\">");
        Secondary(html, "Mean time to failure", Humanize.Duration(report.MeanTimeToFailure.Mean),
            $"{Humanize.Duration(report.MeanTimeToFailure.ObservedTime)} in service ÷ {report.MeanTimeToFailure.Failures} failed deployments");
        Secondary(html, "Deployment rework rate", Humanize.Percent(report.ReworkRate.Rate),
            $"{report.ReworkRate.Fixes} of {report.ReworkRate.Deployments} deployments were unplanned fixes");
        Secondary(html, "Pipeline cycle time", Humanize.Duration(report.StageCycleTimes.MedianRunDuration),
            $"median of {report.StageCycleTimes.Runs} runs" + (report.StageCycleTimes.Bottleneck is { } neck ? $" · bottleneck: {neck}" : ""));
        Secondary(html, "Four Keys bucket", frequency.FourKeysBucket.ToString(), $"deploys on {frequency.DaysWithDeploys} of {window.Days} days");
        html.Append("</section>\n<section class=\"charts\">");
        Chart(html, "Deploys per day", "Deployments per calendar day; red: deployments that later failed; violet marks: rollbacks.", SvgCharts.DeploysPerDay(report));
        Chart(html, "Lead-time distribution", "Source commit → deploy that first put it in the environment; colours follow the 2024 clusters.", SvgCharts.LeadTimeDistribution(report));
        Chart(html, "Failures and restores", "Each failed deployment, the outage until a rollback or fix restored service.", SvgCharts.FailureTimeline(report));
        Chart(html, "Stage durations", "Median duration of each pipeline stage over the window's runs.", SvgCharts.StageDurations(report));
        html.Append("</section>\n");
        FailureTable(html, report);
        DeploymentTable(html, report);
        html.Append(CultureInfo.InvariantCulture, $"""
            <section class="notes">
              <h2>How these figures are counted</h2>
              <ul>
                {(report.DeploymentsFrom == DoraSource.GitHub ? GitHubNotes(report) : GitNotes(report))}
                <li><b>Mean time to failure</b>: time in service during the window divided by failed deployments. <b>Rework rate</b> (DORA 2024): share of deployments that were unplanned fixes.</li>
                <li><b>Clusters</b>: {E(PerformanceClusters.Source)}. Change failure rate is placed by the nearest cluster rate (elite 5%, medium 10%, high 20%, low 40%).</li>
              </ul>
            </section>
            </main>
            <footer><span id="report-status" data-status="loading">Checking the report…</span></footer>
            <script type="application/json" id="dora-data">{JsonSerializer.Serialize(report, SlipwayJson.Compact)}</script>
            <script>{Script}</script>
            </body>
            </html>

            """);
        return html.ToString();
    }

    private static void Card(StringBuilder html, string title, string value, string unit, string detail, PerformanceCluster? cluster, string clusterText)
    {
        var name = cluster?.ToString() ?? "No data";
        html.Append(CultureInfo.InvariantCulture, $"""
            <article class="key" style="--cluster:{SvgCharts.ClusterColour(cluster)}">
              <h2>{E(title)}</h2>
              <p class="value">{E(value)} <span class="unit">{E(unit)}</span></p>
              <p class="cluster"><span class="pill">{E(name)}</span> <span class="muted">{E(clusterText)}</span></p>
              <p class="detail">{E(detail)}</p>
            </article>
            """);
    }

    private static void Secondary(StringBuilder html, string title, string value, string detail) =>
        html.Append(CultureInfo.InvariantCulture, $"""<article class="figure"><h3>{E(title)}</h3><p class="value">{E(value)}</p><p class="detail">{E(detail)}</p></article>""");

    private static void Chart(StringBuilder html, string title, string caption, string svg) =>
        html.Append(CultureInfo.InvariantCulture, $"""<figure class="panel"><h2>{E(title)}</h2><p class="caption">{E(caption)}</p>{svg}</figure>""");

    private static void FailureTable(StringBuilder html, DoraReport report)
    {
        html.Append("<section class=\"panel table\"><h2>Failed deployments</h2>");
        if (report.Failures.Count == 0) { html.Append("<p class=\"muted\">No failed deployments in this window.</p></section>"); return; }
        html.Append("<table><thead><tr><th>Deployment</th><th>Failed at</th><th>Restored by</th><th>Restored at</th><th class=\"num\">Recovery</th></tr></thead><tbody>");
        foreach (var failure in report.Failures)
            html.Append(CultureInfo.InvariantCulture, $"<tr><td><code>{E(Short(failure.Deployment))}</code></td><td>{Time(failure.FailedAt)}</td>" +
                $"<td>{(failure.RestoredBy is null ? "<span class=\"bad\">still failing</span>" : $"{(failure.RestoredByFix ? "fix" : "rollback")} <code>{E(Short(failure.RestoredBy))}</code>")}</td>" +
                $"<td>{(failure.RestoredAt is { } at ? Time(at) : "—")}</td><td class=\"num\">{E(Humanize.Duration(failure.RecoveryTime))}</td></tr>");
        html.Append("</tbody></table></section>");
    }

    private static void DeploymentTable(StringBuilder html, DoraReport report)
    {
        html.Append("<section class=\"panel table\"><h2>Deployments</h2>");
        if (report.Deployments.Count == 0) { html.Append("<p class=\"muted\">No deployments in this window.</p></section>"); return; }
        html.Append("<table><thead><tr><th>Config commit</th><th>Time</th><th>Kind</th><th>Source</th><th class=\"num\">New commits</th><th>Outcome</th></tr></thead><tbody>");
        foreach (var row in report.Deployments.Reverse())
        {
            var kind = row.Kind == DeploymentKind.Deploy ? (row.IsFix ? "fix" : "deploy") : row.Kind.ToString().ToLowerInvariant();
            var outcome = row.Kind == DeploymentKind.Rollback ? "<span class=\"muted\">restore</span>"
                : row.Failed ? (row.RestoredBy is null ? "<span class=\"bad\">failed</span>" : $"<span class=\"bad\">failed</span>, restored by <code>{E(Short(row.RestoredBy))}</code>")
                : "<span class=\"good\">held</span>";
            html.Append(CultureInfo.InvariantCulture, $"<tr><td><code>{E(Short(row.Sha))}</code></td><td>{Time(row.Time)}</td><td>{E(kind)}</td>" +
                $"<td><code>{E(Short(row.SourceCommit))}</code></td><td class=\"num\">{row.Changes}</td><td>{outcome}</td></tr>");
        }
        html.Append("</tbody></table></section>");
    }

    private static string Short(string sha) => sha[..Math.Min(8, sha.Length)];

    private static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private const string Css = """
        :root { color-scheme: light; --ink:#0f172a; --muted:#64748b; --line:#e2e8f0; --bg:#f8fafc; --card:#fff; }
        * { box-sizing: border-box; }
        body { margin:0; background:var(--bg); color:var(--ink); font:15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
        header { display:flex; justify-content:space-between; align-items:flex-end; gap:24px; flex-wrap:wrap; padding:28px 40px 20px; background:#0f172a; color:#f8fafc; }
        header h1 { margin:0; font-size:28px; font-weight:650; letter-spacing:-0.01em; }
        header .env { display:inline-block; margin-left:8px; padding:2px 10px; border-radius:999px; background:#1e293b; color:#93c5fd; font-size:18px; vertical-align:middle; }
        .eyebrow { margin:0 0 4px; text-transform:uppercase; letter-spacing:0.08em; font-size:12px; color:#94a3b8; }
        header .window { margin:0; text-align:right; color:#cbd5e1; }
        header .muted { color:#94a3b8; font-size:13px; }
        main { max-width:1280px; margin:0 auto; padding:24px 40px 40px; }
        .keys { display:grid; grid-template-columns:repeat(auto-fit, minmax(250px, 1fr)); gap:16px; margin-top:-8px; }
        .key { background:var(--card); border:1px solid var(--line); border-top:5px solid var(--cluster); border-radius:10px; padding:16px 18px; box-shadow:0 1px 2px rgba(15,23,42,.06); }
        .key h2 { margin:0; font-size:13px; font-weight:600; color:var(--muted); text-transform:uppercase; letter-spacing:0.04em; }
        .key .value { margin:6px 0 4px; font-size:34px; font-weight:700; letter-spacing:-0.02em; font-variant-numeric:tabular-nums; }
        .key .unit { font-size:15px; font-weight:500; color:var(--muted); }
        .pill { display:inline-block; padding:1px 10px; border-radius:999px; background:var(--cluster); color:#fff; font-size:12px; font-weight:700; letter-spacing:0.03em; text-transform:uppercase; }
        .cluster { margin:0 0 6px; font-size:13px; }
        .detail { margin:0; font-size:13px; color:var(--muted); }
        .muted { color:var(--muted); }
        .secondary { display:grid; grid-template-columns:repeat(auto-fit, minmax(220px, 1fr)); gap:16px; margin-top:16px; }
        .figure { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:12px 16px; }
        .figure h3 { margin:0; font-size:12px; font-weight:600; color:var(--muted); text-transform:uppercase; letter-spacing:0.04em; }
        .figure .value { margin:2px 0; font-size:22px; font-weight:650; font-variant-numeric:tabular-nums; }
        .charts { display:grid; grid-template-columns:repeat(auto-fit, minmax(520px, 1fr)); gap:16px; margin-top:24px; }
        .panel { margin:0; background:var(--card); border:1px solid var(--line); border-radius:10px; padding:16px 18px; }
        .panel h2 { margin:0; font-size:17px; font-weight:650; }
        .caption { margin:2px 0 8px; font-size:13px; color:var(--muted); }
        svg.chart { display:block; width:100%; height:auto; overflow:visible; }
        svg .tick, svg .label, svg .legend, svg .axis-title, svg .empty { font:11px system-ui, sans-serif; fill:#475569; }
        svg .label { font-size:12px; fill:#0f172a; } svg .strong { font-weight:700; }
        svg .axis-title { font-size:12px; fill:#334155; } svg .empty { font-size:14px; fill:#94a3b8; }
        svg .grid { stroke:#cbd5e1; stroke-width:1; } svg .grid.light { stroke:#eef2f7; }
        svg .whisker { stroke:#334155; stroke-width:1.5; }
        svg [data-mark]:hover { opacity:.8; }
        .table { margin-top:16px; overflow-x:auto; }
        table { width:100%; border-collapse:collapse; margin-top:8px; font-size:14px; }
        th, td { text-align:left; padding:7px 10px; border-bottom:1px solid var(--line); white-space:nowrap; }
        th { font-size:12px; text-transform:uppercase; letter-spacing:0.04em; color:var(--muted); font-weight:600; }
        td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
        code { font:13px ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", monospace; background:#f1f5f9; padding:1px 5px; border-radius:4px; }
        .bad { color:#b91c1c; font-weight:600; } .good { color:#15803d; font-weight:600; }
        .notes { margin-top:24px; font-size:14px; color:#334155; } .notes h2 { font-size:16px; } .notes li { margin:4px 0; }
        footer { max-width:1280px; margin:0 auto; padding:0 40px 24px; font-size:12px; color:var(--muted); }
        @media print { header { background:#fff; color:#000; } .charts { grid-template-columns:1fr; } }
        """;

    // Checks the page the browser actually built: every chart present, marks counted, the embedded data readable.
    private const string Script = """
        (function () {
          var status = document.getElementById('report-status');
          try {
            var data = JSON.parse(document.getElementById('dora-data').textContent);
            var marks = {};
            var total = 0;
            document.querySelectorAll('svg[data-chart]').forEach(function (chart) {
              var count = chart.querySelectorAll('[data-mark]').length;
              marks[chart.getAttribute('data-chart')] = count;
              total += count;
            });
            status.setAttribute('data-marks', JSON.stringify(marks));
            status.setAttribute('data-status', 'ready');
            status.textContent = 'Schema ' + data.schema + ' · ' + Object.keys(marks).length + ' charts, ' + total + ' marks · ' + data.clustersSource;
          } catch (error) {
            status.setAttribute('data-status', 'error');
            status.textContent = 'Report check failed: ' + error;
            console.error(error);
          }
        })();
        """;
    private static string GitNotes(DoraReport report) => $"""
        <li><b>Deployments</b> are config-repo commits to <code>environments/{E(report.Environment)}/</code> with Slipway trailers. A rollback (<code>Slipway-Rollback-Of</code>) restores service and is not a deployment; a rollback of a rollback re-deploys and counts as one.</li>
        <li><b>Lead time</b> credits every source commit between the previous deploy's source commit and this deploy's, once, at the deploy that first put it in the environment.</li>
        <li><b>A deployment failed</b> when it was later rolled back, or followed by a deploy marked as a fix (<code>Slipway-Change-Type: fix</code> or <code>Slipway-Fix-Of</code>). Recovery time runs from the failed deploy to that rollback or fix.</li>
        """;

    private static string GitHubNotes(DoraReport report) => $"""
        <li><b>Deployments</b> are GitHub Deployments to <code>{E(report.Environment)}</code>, timed at their first success status (else their creation); those that neither succeeded nor failed yet are left out. One whose payload has <code>rollback_of</code> restores service and is not a deployment; a rollback of a rollback re-deploys and counts as one.</li>
        <li><b>Lead time</b> credits every source commit between the previous working deployment's source commit (payload <code>source_commit</code>, else its sha) and this one's, once, at the deployment that first put it in the environment.</li>
        <li><b>A deployment failed</b> when its last status is failure or error (restored by the next deployment that worked), when a later deployment rolled it back, or when it was followed by a deployment marked as a fix (payload <code>change_type: fix</code> or <code>fix_of</code>, which Slipway copies from the commit's trailers). Recovery time runs from the failed deployment to the one that restored service.</li>
        """;
}
