using System.Text.RegularExpressions;

namespace Slipway.Delivery.ConfigRepo;

/// <summary>
/// Trailers that say what kind of change a deploy commit carries, beside the deployment trailers of
/// <see cref="DeploymentTrailers"/>. The deploy step adds them to the commit message when it knows:
/// <list type="bullet">
/// <item><c>Slipway-Change-Type: fix</c> — an unplanned deploy that repairs a failure in the environment (a fix forward,
/// a hotfix). Other values (<c>feature</c>, <c>config</c>, <c>chore</c>, ...) are planned work. Absent: planned.</item>
/// <item><c>Slipway-Fix-Of: &lt;config commit&gt;</c> — the deploy this one repairs; implies <c>fix</c>.
/// Without it, a fix repairs the deployment that was live just before it (unless a rollback already restored service).</item>
/// </list>
/// </summary>
public static partial class ChangeTrailers
{
    public const string ChangeTypeKey = "Slipway-Change-Type";
    public const string FixOfKey = "Slipway-Fix-Of";
    public const string Fix = "fix";

    /// <summary>The trailer lines for a deploy commit (append them to the commit message's trailer block).</summary>
    public static IReadOnlyList<string> ToLines(string changeType, string? fixOf = null)
    {
        if (Problem(changeType, fixOf) is { } problem)
            throw new ArgumentException(problem, fixOf is not null && !CommitPattern().IsMatch(fixOf) ? nameof(fixOf) : nameof(changeType));
        List<string> lines = [$"{ChangeTypeKey}: {changeType}"];
        if (fixOf is not null) lines.Add($"{FixOfKey}: {fixOf}");
        return lines;
    }

    /// <summary>What makes a change type and Fix-Of invalid trailers, and how to put it right; null when they are valid.</summary>
    public static string? Problem(string changeType, string? fixOf) =>
        !ChangeTypePattern().IsMatch(changeType)
            ? $"change type '{changeType}' is invalid: use one lowercase word such as fix, feature, config"
        : fixOf is not null && !CommitPattern().IsMatch(fixOf)
            ? $"{FixOfKey} '{fixOf}' is not a commit id: pass the config commit (7 to 64 hex digits) of the deploy being fixed"
        : fixOf is not null && changeType != Fix
            ? $"{FixOfKey} marks a fix: use change type '{Fix}' with it, not '{changeType}'"
        : null;

    /// <summary>True when the trailers mark an unplanned fix.</summary>
    public static bool IsFix(IReadOnlyDictionary<string, string> trailers) =>
        trailers.ContainsKey(FixOfKey) ||
        (trailers.TryGetValue(ChangeTypeKey, out var type) && string.Equals(type.Trim(), Fix, StringComparison.OrdinalIgnoreCase));

    public static string? FixOf(IReadOnlyDictionary<string, string> trailers) =>
        trailers.TryGetValue(FixOfKey, out var value) && CommitPattern().IsMatch(value.Trim()) ? value.Trim() : null;

    public static string? ChangeType(IReadOnlyDictionary<string, string> trailers) =>
        trailers.TryGetValue(ChangeTypeKey, out var value) ? value.Trim().ToLowerInvariant() : trailers.ContainsKey(FixOfKey) ? Fix : null;

    [GeneratedRegex("^[a-z][a-z0-9-]{0,31}$")]
    private static partial Regex ChangeTypePattern();

    [GeneratedRegex("^[0-9a-f]{7,64}$")]
    private static partial Regex CommitPattern();
}
