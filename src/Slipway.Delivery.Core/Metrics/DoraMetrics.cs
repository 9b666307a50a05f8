using System.Text;
using System.Text.Json;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.RunRecords;

namespace Slipway.Delivery.Metrics;

/// <summary>What the Metrics target asks for.</summary>
/// <param name="Environment">The environment to measure (default production).</param>
/// <param name="WindowDays">7, 30 or 90 calendar days ending today.</param>
/// <param name="SourceRepository">The service's Git clone (the build's root) for crediting source commits; null: head commits only.</param>
/// <param name="ArtifactsDirectory">Where dora.json and dora.html go (.nuke/artifacts).</param>
/// <param name="TimeZone">Where a day begins for the per-day figures; null: UTC.</param>
/// <param name="Now">The instant the window ends on (its day is the window's last); null: the current time.</param>
/// <param name="Source">Where the deployment events come from; run records always come from the config repo.</param>
public sealed record DoraRequest(
    string Environment,
    int WindowDays,
    string? SourceRepository,
    string ArtifactsDirectory,
    TimeZoneInfo? TimeZone = null,
    DateTimeOffset? Now = null,
    DoraSource Source = DoraSource.Git);

/// <summary>The files a report was written to.</summary>
public sealed record DoraArtifacts(DoraReport Report, string JsonPath, string HtmlPath);

/// <summary>
/// The Metrics target's computation: reads the environment's deployment events (config repo, or GitHub Deployments when
/// <see cref="DoraRequest.Source"/> says so, + source repo) and the run records, computes the DORA figures, and writes
/// dora.json and dora.html. The agent's dashboard computes with the same class.
/// </summary>
/// <param name="gitHub">Where GitHub Deployments are read for <see cref="DoraSource.GitHub"/>; null when GitHub is not configured.</param>
public sealed class DoraMetrics(ConfigRepository configRepository, Serilog.ILogger log, IDeploymentEventSource? gitHub = null)
{
    public const string JsonFileName = "dora.json";
    public const string HtmlFileName = "dora.html";

    private readonly Serilog.ILogger log = log.ForContext<DoraMetrics>();

    /// <summary>Reads and computes without writing anything.</summary>
    public async Task<DoraReport> ComputeAsync(DoraRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var window = DoraWindow.LastDays(request.WindowDays, request.Now ?? DateTimeOffset.UtcNow, request.TimeZone);
        var source = request.SourceRepository is null ? null : new SourceRepository(request.SourceRepository, log);
        var history = request.Source switch
        {
            DoraSource.GitHub when gitHub is null => throw new InvalidOperationException(
                "Metrics was asked to read deployments from GitHub (--dora-source github), but GitHub is not configured: pass " +
                "--github-token (or GITHUB_TOKEN) and a config repo on GitHub (--config-repo https://github.com/owner/name.git, or " +
                "--github-config-repo owner/name); or use --dora-source git."),
            DoraSource.GitHub => await gitHub.ReadAsync(request.Environment, window, source, log, cancellationToken),
            _ => await new DeploymentHistoryReader(configRepository, source, log).ReadAsync(request.Environment, cancellationToken),
        };
        var runs = await new RunRecordStore(configRepository, log).ReadAsync(window.Start, window.End, cancellationToken);
        return DoraCalculator.Compute(history, runs, window);
    }

    /// <summary>Writes dora.json (schema slipway.dora/v1) and dora.html into <paramref name="directory"/>, each replaced whole.</summary>
    public static async Task<DoraArtifacts> WriteAsync(DoraReport report, string directory, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(directory);
        var json = Path.Combine(directory, JsonFileName);
        var html = Path.Combine(directory, HtmlFileName);
        await WriteWholeAsync(json, JsonSerializer.Serialize(report, SlipwayJson.Indented) + "\n", cancellationToken);
        await WriteWholeAsync(html, DoraHtmlReport.Render(report), cancellationToken);
        return new DoraArtifacts(report, json, html);
    }

    // Written beside and moved into place, so a reader never sees half a file and a failure keeps the previous report.
    private static async Task WriteWholeAsync(string path, string content, CancellationToken cancellationToken)
    {
        var temporary = path + ".tmp";
        await File.WriteAllTextAsync(temporary, content, new UTF8Encoding(false), cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }
}
