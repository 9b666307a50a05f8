using System.Globalization;
using System.Net;
using System.Text;

namespace Slipway.Build;

/// <summary>The --plan output: the ordered plan as text, a Mermaid graph (plan.mmd) and an HTML page that draws it offline (plan.html).</summary>
internal static class PlanReport
{
    public static IEnumerable<string> RenderText(ExecutionPlan plan, IReadOnlyDictionary<TargetNode, string> skips)
    {
        yield return $"Execution plan for {string.Join(", ", plan.Invoked.Select(n => n.Name))}:";
        var width = plan.Order.Max(n => n.Name.Length);
        var number = 0;
        foreach (var node in plan.Order)
        {
            var dependencies = node.DependsOn.Where(plan.Contains).Select(d => d.Name).ToList();
            var notes = new List<string>();
            if (dependencies.Count > 0)
            {
                notes.Add($"depends on {string.Join(", ", dependencies)}");
            }
            if (skips.TryGetValue(node, out var reason))
            {
                notes.Add($"skipped: {reason}");
            }
            var position = skips.ContainsKey(node) ? "  -" : $"{++number,3}";
            yield return $"{position}. {node.Name.PadRight(width)}  {string.Join("; ", notes)}".TrimEnd();
        }
    }

    public static string RenderMermaid(ExecutionPlan plan, IReadOnlyDictionary<TargetNode, string> skips)
    {
        var mermaid = new StringBuilder("graph LR\n");
        foreach (var node in plan.Order)
        {
            var label = node.Definition.DescriptionText is { Length: > 0 } description ? $"{node.Name}<br/><small>{Escape(description)}</small>" : node.Name;
            mermaid.Append(CultureInfo.InvariantCulture, $"    {node.Name}[\"{label}\"]\n");
        }
        foreach (var node in plan.Order)
        {
            foreach (var dependency in node.DependsOn.Where(plan.Contains))
            {
                mermaid.Append(CultureInfo.InvariantCulture, $"    {dependency.Name} --> {node.Name}\n");
            }
            foreach (var earlier in node.OrderedAfter.Where(plan.Contains))
            {
                mermaid.Append(CultureInfo.InvariantCulture, $"    {earlier.Name} -.-> {node.Name}\n");
            }
            foreach (var triggered in node.Triggers.Where(plan.Contains))
            {
                mermaid.Append(CultureInfo.InvariantCulture, $"    {node.Name} ==>|triggers| {triggered.Name}\n");
            }
        }
        mermaid.Append("    classDef invoked stroke-width:3px,stroke:#1f6feb\n");
        mermaid.Append("    classDef skipped stroke-dasharray:4 4,color:#888\n");
        mermaid.Append(CultureInfo.InvariantCulture, $"    class {string.Join(",", plan.Invoked.Select(n => n.Name))} invoked\n");
        if (skips.Count > 0)
        {
            mermaid.Append(CultureInfo.InvariantCulture, $"    class {string.Join(",", plan.Order.Where(skips.ContainsKey).Select(n => n.Name))} skipped\n");
        }
        return mermaid.ToString();
    }

    /// <summary>
    /// A self-contained page: the graph drawn as inline SVG (columns by depth, rows by plan order), the ordered
    /// list, and the Mermaid source for tools that render it. Nothing is loaded from a network.
    /// </summary>
    public static string RenderHtml(ExecutionPlan plan, IReadOnlyDictionary<TargetNode, string> skips, string mermaid)
    {
        const int boxWidth = 170, boxHeight = 40, columnGap = 60, rowGap = 20, margin = 20;
        var column = new Dictionary<TargetNode, int>();
        foreach (var node in plan.Order)
        {
            column[node] = plan.PredecessorsOf(node).Select(p => column[p] + 1).DefaultIfEmpty(0).Max();
        }
        var row = new Dictionary<TargetNode, int>();
        foreach (var group in plan.Order.GroupBy(n => column[n]))
        {
            var index = 0;
            foreach (var node in group)
            {
                row[node] = index++;
            }
        }
        int X(TargetNode n) => margin + column[n] * (boxWidth + columnGap);
        int Y(TargetNode n) => margin + row[n] * (boxHeight + rowGap);
        var width = margin * 2 + (column.Values.Max() + 1) * (boxWidth + columnGap);
        var height = margin * 2 + (row.Values.Max() + 1) * (boxHeight + rowGap);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"13\">");
        svg.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>");
        foreach (var node in plan.Order)
        {
            foreach (var predecessor in plan.PredecessorsOf(node))
            {
                var dashed = node.DependsOn.Contains(predecessor) ? "" : " stroke-dasharray=\"5 4\"";
                svg.Append(CultureInfo.InvariantCulture,
                    $"<line x1=\"{X(predecessor) + boxWidth}\" y1=\"{Y(predecessor) + boxHeight / 2}\" x2=\"{X(node)}\" y2=\"{Y(node) + boxHeight / 2}\" stroke=\"#555\"{dashed} marker-end=\"url(#arrow)\"/>");
            }
        }
        foreach (var node in plan.Order)
        {
            var stroke = plan.Invoked.Contains(node) ? "#1f6feb\" stroke-width=\"3" : "#333";
            var fill = skips.ContainsKey(node) ? "#eeeeee" : "#ffffff";
            var title = WebUtility.HtmlEncode(node.Definition.DescriptionText ?? node.Name);
            svg.Append(CultureInfo.InvariantCulture,
                $"<g><title>{title}</title><rect x=\"{X(node)}\" y=\"{Y(node)}\" width=\"{boxWidth}\" height=\"{boxHeight}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\"/>");
            svg.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{X(node) + boxWidth / 2}\" y=\"{Y(node) + boxHeight / 2 + 5}\" text-anchor=\"middle\">{WebUtility.HtmlEncode(node.Name)}</text></g>");
        }
        svg.Append("</svg>");

        var list = new StringBuilder();
        foreach (var node in plan.Order)
        {
            var note = skips.TryGetValue(node, out var reason) ? $" <em>(skipped: {WebUtility.HtmlEncode(reason)})</em>" : "";
            var description = node.Definition.DescriptionText is { } text ? $" — {WebUtility.HtmlEncode(text)}" : "";
            list.Append(CultureInfo.InvariantCulture, $"<li><strong>{WebUtility.HtmlEncode(node.Name)}</strong>{description}{note}</li>");
        }

        return $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>Execution plan: {WebUtility.HtmlEncode(string.Join(", ", plan.Invoked.Select(n => n.Name)))}</title>
            <style>body{"{"}font-family:sans-serif;margin:2em{"}"} pre{"{"}background:#f6f8fa;padding:1em{"}"}</style>
            </head>
            <body>
            <h1>Execution plan</h1>
            <p>Solid arrows: DependsOn; dashed: ordering (After/Before/Triggers). Invoked targets have a blue border, skipped ones are grey.</p>
            {svg}
            <h2>Order</h2>
            <ol>{list}</ol>
            <h2>Mermaid source</h2>
            <pre class="mermaid-source">{WebUtility.HtmlEncode(mermaid)}</pre>
            </body>
            </html>

            """;
    }

    private static string Escape(string text) => text.Replace("\"", "#quot;").Replace("<", "#lt;").Replace(">", "#gt;");
}
