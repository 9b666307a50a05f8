using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;
using Semver;

namespace Slipway.Agent.ImageAutomation;

/// <summary>How the sort keys of the tags a policy keeps are ordered (Flux's ImagePolicy kinds).</summary>
public enum TagOrdering
{
    /// <summary>Keys are semantic versions; only those in the range count.</summary>
    Semver,
    /// <summary>Keys are whole numbers (e.g. a build number or a timestamp), compared as numbers: 10 after 9.</summary>
    Numerical,
    /// <summary>Keys are compared ordinally, character by character (e.g. RFC 3339 times, zero-padded numbers).</summary>
    Alphabetical,
}

/// <summary>The tag a policy picks and the sort key it was picked by.</summary>
public sealed record PolicySelection(string Tag, string Key);

/// <summary>
/// Which tag of a repository is "the latest": tags are optionally filtered by a regular expression whose named groups
/// build the sort key (<see cref="Extract"/>, e.g. "$ts"; the whole tag otherwise), then ordered semver (within a range),
/// numerically or alphabetically. Ascending picks the highest key, descending the lowest (Flux's order: asc|desc).
/// Ties (two tags with the same key) go to the ordinally greatest tag, so the choice never depends on the registry's order.
/// </summary>
public sealed class ImagePolicy
{
    static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    ImagePolicy(TagOrdering ordering, Regex? pattern, string? extract, SemVersionRange? range, string? rangeText, bool includePrerelease, bool descending)
    {
        Ordering = ordering;
        Pattern = pattern;
        Extract = extract;
        // Flux (Go) writes "$ts"; .NET's substitution for a named group is "${ts}".
        substitution = extract is null ? null : Regex.Replace(extract, @"\$(?!\{)([A-Za-z_][A-Za-z0-9_]*)", m => "${" + m.Groups[1].Value + "}");
        Range = range;
        RangeText = rangeText;
        IncludePrerelease = includePrerelease;
        Descending = descending;
    }

    readonly string? substitution;

    public TagOrdering Ordering { get; }
    public Regex? Pattern { get; }
    public string? Extract { get; }
    public SemVersionRange? Range { get; }
    public string? RangeText { get; }
    public bool IncludePrerelease { get; }
    public bool Descending { get; }

    /// <summary>
    /// A semver policy: tags (or their extracted keys) that are semantic versions (a leading 'v' allowed) inside
    /// <paramref name="range"/> (npm syntax: "&gt;=1.0.0 &lt;2.0.0", "^1.2", "~1.2.3", "1.x || &gt;=3.0.0"). Pre-releases count only
    /// when <paramref name="includePrerelease"/> is set (or, as npm does, when a bound of the range names a pre-release of the same version).
    /// </summary>
    public static ImagePolicy ForSemver(string range, bool includePrerelease = false, string? pattern = null, string? extract = null)
    {
        if (string.IsNullOrWhiteSpace(range))
            throw new ImagePolicyException("semver.range is empty; give a range such as '>=1.0.0 <2.0.0' or '^1.0'");
        if (!SemVersionRange.TryParseNpm(range.Trim(), includePrerelease, out var parsed))
            throw new ImagePolicyException($"semver.range '{range}' is not a semver range; use npm syntax such as '>=1.0.0 <2.0.0', '^1.2', '~1.2.3' or '1.x'");
        return new ImagePolicy(TagOrdering.Semver, CompilePattern(pattern, extract), extract, parsed, range.Trim(), includePrerelease, descending: false);
    }

    /// <summary>A numerical or alphabetical policy over the tags matching <paramref name="pattern"/> (all tags when null).</summary>
    public static ImagePolicy ForOrder(TagOrdering ordering, string? pattern, string? extract, bool descending = false)
    {
        if (ordering == TagOrdering.Semver) throw new ArgumentException("use ForSemver for a semver policy", nameof(ordering));
        return new ImagePolicy(ordering, CompilePattern(pattern, extract), extract, null, null, includePrerelease: false, descending);
    }

    /// <summary>The tag to deploy among <paramref name="tags"/>, or null when none qualifies.</summary>
    public PolicySelection? SelectLatest(IEnumerable<string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var candidates = new List<(string Tag, string Key, object Sortable)>();
        foreach (var tag in tags.Distinct(StringComparer.Ordinal))
        {
            if (KeyOf(tag) is not { } key) continue;
            if (Sortable(key) is { } sortable) candidates.Add((tag, key, sortable));
        }
        if (candidates.Count == 0) return null;
        var best = candidates[0];
        foreach (var candidate in candidates.Skip(1))
        {
            var order = Compare(candidate.Sortable, best.Sortable);
            if (Descending) order = -order;
            if (order > 0 || (order == 0 && string.CompareOrdinal(candidate.Tag, best.Tag) > 0)) best = candidate;
        }
        return new PolicySelection(best.Tag, best.Key);
    }

    /// <summary>A short description for logs and status, e.g. "semver >=1.0.0 &lt;2.0.0" or "numerical asc of $ts in ^main-(?&lt;ts&gt;\d+)$".</summary>
    public override string ToString()
    {
        var order = Ordering == TagOrdering.Semver
            ? $"semver {RangeText}{(IncludePrerelease ? " (pre-releases included)" : "")}"
            : $"{Ordering.ToString().ToLowerInvariant()} {(Descending ? "desc" : "asc")}";
        return Pattern is null ? order : $"{order} of {Extract ?? "the tag"} in {Pattern}";
    }

    string? KeyOf(string tag)
    {
        if (Pattern is null) return tag;
        Match match;
        try { match = Pattern.Match(tag); }
        catch (RegexMatchTimeoutException) { return null; }
        if (!match.Success) return null;
        return substitution is null ? tag : match.Result(substitution);
    }

    object? Sortable(string key) => Ordering switch
    {
        TagOrdering.Semver => SemVersion.TryParse(key, SemVersionStyles.AllowV, out var version) && Range!.Contains(version) ? version : null,
        TagOrdering.Numerical => BigInteger.TryParse(key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? number : null,
        _ => key.Length > 0 ? key : null,
    };

    static int Compare(object left, object right) => (left, right) switch
    {
        (SemVersion a, SemVersion b) => a.ComparePrecedenceTo(b),
        (BigInteger a, BigInteger b) => a.CompareTo(b),
        (string a, string b) => string.CompareOrdinal(a, b),
        _ => throw new InvalidOperationException("sort keys of different kinds"),
    };

    static Regex? CompilePattern(string? pattern, string? extract)
    {
        if (pattern is null)
        {
            if (extract is not null) throw new ImagePolicyException("filterTags.extract needs filterTags.pattern with the named groups it refers to");
            return null;
        }
        Regex regex;
        try { regex = new Regex(pattern, RegexOptions.CultureInvariant, MatchTimeout); }
        catch (ArgumentException exception)
        {
            throw new ImagePolicyException($"filterTags.pattern '{pattern}' is not a valid regular expression ({exception.Message})");
        }
        if (extract is not null)
        {
            var referenced = Regex.Matches(extract, @"\$\{?(?<name>[A-Za-z_][A-Za-z0-9_]*|[0-9]+)\}?").Select(m => m.Groups["name"].Value).ToList();
            if (referenced.Count == 0)
                throw new ImagePolicyException($"filterTags.extract '{extract}' refers to no group; use e.g. '$ts' for the group (?<ts>...) of the pattern");
            var known = regex.GetGroupNames();
            foreach (var name in referenced.Where(name => !known.Contains(name)))
                throw new ImagePolicyException($"filterTags.extract '{extract}' refers to group '{name}', which pattern '{pattern}' does not define " +
                                               $"(groups: {string.Join(", ", known.Where(g => g != "0"))}); name it with (?<{name}>...)");
        }
        return regex;
    }
}

/// <summary>An image automation policy that cannot be used; the message names the field and the fix.</summary>
public sealed class ImagePolicyException(string message) : ArgumentException(message);
