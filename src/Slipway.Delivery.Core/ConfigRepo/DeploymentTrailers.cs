using System.Globalization;
using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.ConfigRepo;

/// <summary>
/// The trailers every config-repo commit carries (git interpret-trailers format): the deployment event DORA metrics
/// are computed from. <see cref="RollbackOf"/> is set on a rollback (the reverted commit); <see cref="ChangeType"/> and
/// <see cref="FixOf"/> say when a deploy is an unplanned fix (the rework DORA counts; see <see cref="ChangeTrailers"/>).
/// </summary>
public sealed record DeploymentTrailers(
    string Environment,
    string Image,
    string SourceCommit,
    DateTimeOffset SourceTime,
    string Run,
    string? RollbackOf = null,
    string? ChangeType = null,
    string? FixOf = null)
{
    public const string EnvironmentKey = "Slipway-Environment";
    public const string ImageKey = "Slipway-Image";
    public const string SourceCommitKey = "Slipway-Source-Commit";
    public const string SourceTimeKey = "Slipway-Source-Time";
    public const string RunKey = "Slipway-Run";
    public const string RollbackOfKey = "Slipway-Rollback-Of";

    /// <summary>The trailer lines in a fixed order, e.g. "Slipway-Environment: staging".</summary>
    public IReadOnlyList<string> ToLines()
    {
        Check();
        var lines = new List<string>
        {
            $"{EnvironmentKey}: {Environment}",
            $"{ImageKey}: {Image}",
            $"{SourceCommitKey}: {SourceCommit}",
            $"{SourceTimeKey}: {FormatTime(SourceTime)}",
            $"{RunKey}: {Run}",
        };
        if (RollbackOf is not null) lines.Add($"{RollbackOfKey}: {RollbackOf}");
        lines.AddRange(ChangeLines());
        return lines;
    }

    /// <summary>Slipway-Change-Type (and Slipway-Fix-Of) when the deploy says what kind of change it is; none for planned work.</summary>
    private IReadOnlyList<string> ChangeLines() => Change is { } change ? ChangeTrailers.ToLines(change.Type, change.FixOf) : [];

    /// <summary>The kind of change the trailers declare (Fix-Of alone implies a fix); null for planned work.</summary>
    private (string Type, string? FixOf)? Change =>
        ChangeType is null && FixOf is null ? null : (ChangeType ?? ChangeTrailers.Fix, FixOf);

    public static string FormatTime(DateTimeOffset time) => time.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    /// <summary>Reads the trailers git parsed from a commit; null when the commit is not a Slipway deployment (e.g. the seed).</summary>
    public static DeploymentTrailers? FromTrailers(IReadOnlyDictionary<string, string> trailers)
    {
        if (!trailers.TryGetValue(EnvironmentKey, out var environment) || !trailers.TryGetValue(ImageKey, out var image)) return null;
        var time = trailers.TryGetValue(SourceTimeKey, out var text) &&
                   DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
            ? parsed
            : DateTimeOffset.MinValue;
        return new DeploymentTrailers(environment, image, trailers.GetValueOrDefault(SourceCommitKey, ""), time,
            trailers.GetValueOrDefault(RunKey, ""), trailers.GetValueOrDefault(RollbackOfKey),
            ChangeTrailers.ChangeType(trailers), ChangeTrailers.FixOf(trailers));
    }

    /// <summary>Every value on one line, required values present, environment and image well-formed.</summary>
    public void Check()
    {
        var problems = new List<string>();
        if (!EnvironmentName.IsValid(Environment)) problems.Add($"trailer {EnvironmentKey} '{Environment}' is invalid; {EnvironmentName.Rule}");
        if (!ImageDigestReference.TryParse(Image, out _, out var imageProblem)) problems.Add($"trailer {ImageKey}: {imageProblem}");
        foreach (var (key, value) in new[] { (SourceCommitKey, SourceCommit), (RunKey, Run), (RollbackOfKey, RollbackOf ?? "-") })
        {
            if (string.IsNullOrWhiteSpace(value)) problems.Add($"trailer {key} is empty; pass the source commit and the run id of this pipeline");
            else if (value.Contains('\n') || value.Contains('\r')) problems.Add($"trailer {key} spans several lines; trailers are single-line values");
        }
        if (Change is { } change && ChangeTrailers.Problem(change.Type, change.FixOf) is { } changeProblem) problems.Add(changeProblem);
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));
    }
}
