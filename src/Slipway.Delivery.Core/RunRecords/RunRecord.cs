using System.Text.RegularExpressions;
using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.RunRecords;

/// <summary>How a pipeline run, or one of its stages, ended.</summary>
public enum RunResult
{
    Succeeded,
    Failed,
    Skipped,
    Cancelled,
}

/// <summary>One stage (build target) of a run: when it started and how long it took.</summary>
public sealed record StageRecord(string Name, DateTimeOffset Start, TimeSpan Duration, RunResult Result);

/// <summary>
/// What one pipeline run leaves in the config repo (runs/&lt;yyyy-MM&gt;.jsonl). Every field is an identifier, a time, a
/// duration, an enum, a digest reference or a commit id — no free text, so no field can carry a secret;
/// <see cref="Check"/> enforces that shape before anything is written.
/// </summary>
/// <param name="RunId">The pipeline run (the same value as the Slipway-Run trailer of the commits it made).</param>
/// <param name="CiHost">Where it ran: github-actions, gitlab-ci, azure-pipelines, generic-ci, local.</param>
/// <param name="Environment">The environment it deployed to; null when it stopped before deploying.</param>
/// <param name="Image">The image it built, by digest (repository@sha256:...); null when it stopped before pushing.</param>
/// <param name="SourceCommit">The source commit it built.</param>
/// <param name="Attestations">Where the image's signed attestations are (repository:sha256-&lt;hex&gt;.att: its SBOM,
/// provenance and ContainerTest results); null when it stopped before signing.</param>
/// <param name="FlakyTests">Test methods (Namespace.Class.Method) that failed and then passed when run again, so a flaky
/// test stays visible over time; null or empty when there were none.</param>
public sealed partial record RunRecord(
    string RunId,
    string CiHost,
    DateTimeOffset Start,
    TimeSpan Duration,
    RunResult Result,
    string? Environment,
    string? Image,
    string? SourceCommit,
    IReadOnlyList<StageRecord> Stages,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyList<string>? FlakyTests = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    string? Attestations = null)
{
    /// <summary>Throws an <see cref="ArgumentException"/> listing every field that is not of its strict shape.</summary>
    public void Check()
    {
        var problems = new List<string>();
        if (!IdentifierPattern().IsMatch(RunId)) problems.Add($"run id '{RunId}' {IdentifierRule}");
        if (!IdentifierPattern().IsMatch(CiHost)) problems.Add($"CI host '{CiHost}' {IdentifierRule}");
        if (Duration < TimeSpan.Zero) problems.Add($"run duration {Duration} is negative");
        if (Environment is not null && !EnvironmentName.IsValid(Environment)) problems.Add($"environment '{Environment}' is invalid; {EnvironmentName.Rule}");
        if (Image is not null && !ImageDigestReference.TryParse(Image, out _, out var imageProblem)) problems.Add($"image: {imageProblem}");
        if (SourceCommit is not null && !CommitPattern().IsMatch(SourceCommit)) problems.Add($"source commit '{SourceCommit}' is not a commit id (7 to 64 lowercase hex digits)");
        if (Stages is null) problems.Add("stages are missing; pass an empty list for a run without stages");
        else
            foreach (var stage in Stages)
            {
                if (!IdentifierPattern().IsMatch(stage.Name)) problems.Add($"stage name '{stage.Name}' {IdentifierRule}");
                if (stage.Duration < TimeSpan.Zero) problems.Add($"stage {stage.Name}: duration {stage.Duration} is negative");
            }
        if (Attestations is not null && !AttestationsPattern().IsMatch(Attestations))
            problems.Add($"attestations '{Attestations}' is not a reference to an image's attestations (registry/repository:sha256-<64 hex>.att)");
        foreach (var test in FlakyTests ?? [])
        {
            if (!TestMethodPattern().IsMatch(test)) problems.Add($"flaky test '{test}' is not a test method name (letters, digits and . _ + -, at most 256)");
        }
        if (problems.Count > 0) throw new ArgumentException("run record is invalid: " + string.Join("; ", problems));
    }

    /// <summary>The record with <paramref name="mask"/> applied to every string in it (the build's secret masker).</summary>
    public RunRecord Masked(Func<string, string> mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        return this with
        {
            RunId = mask(RunId),
            CiHost = mask(CiHost),
            Environment = Environment is null ? null : mask(Environment),
            Image = Image is null ? null : mask(Image),
            SourceCommit = SourceCommit is null ? null : mask(SourceCommit),
            Stages = Stages?.Select(stage => stage with { Name = mask(stage.Name) }).ToList()!,
            FlakyTests = FlakyTests?.Select(mask).ToList(),
            Attestations = Attestations is null ? null : mask(Attestations),
        };
    }

    private const string IdentifierRule = "must be 1 to 128 characters of letters, digits and . _ - : (an identifier, never free text)";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._+-]{0,255}$")]
    private static partial Regex TestMethodPattern();

    [GeneratedRegex("^[A-Za-z0-9.:-]+(/[a-z0-9._-]+)+:sha256-[0-9a-f]{64}\\.att$")]
    private static partial Regex AttestationsPattern();

    [GeneratedRegex("^[0-9a-f]{7,64}$")]
    private static partial Regex CommitPattern();
}
