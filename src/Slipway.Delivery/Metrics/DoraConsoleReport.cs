using Spectre.Console;

namespace Slipway.Delivery.Metrics;

/// <summary>The Metrics report on a console: the figures as a table, then dora.json and dora.html written.</summary>
public static class DoraConsoleReport
{
    public static async Task<DoraArtifacts> ReportAsync(this DoraMetrics metrics, DoraRequest request, IAnsiConsole console, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(console);
        var report = await metrics.ComputeAsync(request, cancellationToken);
        console.Write(DoraTable.Render(report));
        return await DoraMetrics.WriteAsync(report, request.ArtifactsDirectory, cancellationToken);
    }
}
