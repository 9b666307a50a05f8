using System.Text.Json;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Oci;
using Slipway.Delivery.RunRecords;

namespace Slipway.Delivery.Promotion;

/// <summary>That <paramref name="Image"/> passed the smoke test in <paramref name="Environment"/> (at config revision <paramref name="ConfigRevision"/>).</summary>
/// <param name="Source">Where the evidence was found: the local evidence file or a run record in the config repo.</param>
public sealed record SmokeEvidence(string Environment, string Image, string? ConfigRevision, DateTimeOffset PassedAt, string Run, string Source = SmokeEvidence.LocalSource)
{
    public const string LocalSource = "local";
    public const string RunRecordSource = "run-record";

    /// <summary>The sha256:... part of <see cref="Image"/>.</summary>
    public ImageDigest Digest => ImageDigest.Of(Image);
}

/// <summary>
/// The smoke-test evidence this machine recorded: one JSON line per passed smoke test in
/// <c>&lt;artifacts&gt;/smoke-evidence.jsonl</c>. Per machine (and gone after Clean), so <see cref="SmokeEvidenceFinder"/>
/// also reads the run records in the config repo.
/// </summary>
public static class SmokeEvidenceFile
{
    public const string FileName = "smoke-evidence.jsonl";

    public static async Task AppendAsync(string artifactsDirectory, SmokeEvidence evidence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        if (!ImageDigestReference.TryParse(evidence.Image, out _, out var problem))
            throw new ArgumentException($"smoke evidence image: {problem}");
        Directory.CreateDirectory(artifactsDirectory);
        var line = JsonSerializer.Serialize(evidence with { Source = SmokeEvidence.LocalSource }, SlipwayJson.Compact) + "\n";
        await File.AppendAllTextAsync(Path.Combine(artifactsDirectory, FileName), line, cancellationToken);
    }

    /// <summary>Every readable record, oldest first; unreadable lines (a hand edit, a torn write) are skipped.</summary>
    public static async Task<IReadOnlyList<SmokeEvidence>> ReadAsync(string artifactsDirectory, CancellationToken cancellationToken = default)
    {
        var path = Path.Combine(artifactsDirectory, FileName);
        if (!File.Exists(path)) return [];
        var records = new List<SmokeEvidence>();
        foreach (var line in await File.ReadAllLinesAsync(path, cancellationToken))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                if (JsonSerializer.Deserialize<SmokeEvidence>(line, SlipwayJson.Compact) is { } record) records.Add(record);
            }
            catch (JsonException)
            {
                // Not a record: ignored, like any other noise; evidence is only ever added, never inferred from a bad line.
            }
        }
        return records;
    }
}

/// <summary>
/// Finds proof that a digest passed the smoke test in an environment: this machine's evidence file first, then the run
/// records in the config repo (a run whose record names the environment and the image and whose smoke-test stage succeeded).
/// </summary>
public sealed class SmokeEvidenceFinder(string artifactsDirectory, RunRecordStore? runRecords, Serilog.ILogger log, TimeProvider? clock = null)
{
    /// <summary>The build target whose success in a run record counts as a passed smoke test.</summary>
    public string SmokeStage { get; init; } = "SmokeTest";

    /// <summary>How far back run records are read.</summary>
    public TimeSpan RunRecordWindow { get; init; } = TimeSpan.FromDays(90);

    public async Task<SmokeEvidence?> FindAsync(string environment, string image, CancellationToken cancellationToken = default)
    {
        var digest = ImageDigest.Of(image);
        var local = (await SmokeEvidenceFile.ReadAsync(artifactsDirectory, cancellationToken))
            .LastOrDefault(e => e.Environment == environment && e.Digest == digest);
        if (local is not null) return local;
        if (runRecords is null) return null;

        var now = (clock ?? TimeProvider.System).GetUtcNow();
        var records = await runRecords.ReadAsync(now - RunRecordWindow, now + TimeSpan.FromDays(1), cancellationToken);
        var record = records.LastOrDefault(r => r.Environment == environment && r.Image is { } recorded && ImageDigest.Of(recorded) == digest &&
                                                r.Stages.Any(s => s.Name == SmokeStage && s.Result == RunResult.Succeeded));
        if (record is null) return null;
        log.Information("Smoke evidence for {Image} in {Environment}: run record {Run}", image, environment, record.RunId);
        var stage = record.Stages.Last(s => s.Name == SmokeStage && s.Result == RunResult.Succeeded);
        return new SmokeEvidence(environment, record.Image!, null, stage.Start + stage.Duration, record.RunId, SmokeEvidence.RunRecordSource);
    }
}
