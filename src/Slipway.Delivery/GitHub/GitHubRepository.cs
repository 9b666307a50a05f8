using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Slipway.Delivery.GitHub;

/// <summary>A repository on GitHub (or GitHub Enterprise Server): owner and name, as the REST API addresses it.</summary>
public sealed partial record GitHubRepository(string Owner, string Name)
{
    public override string ToString() => $"{Owner}/{Name}";

    /// <summary>
    /// Reads owner and name from a Git URL of <paramref name="host"/>: https://host/owner/repo(.git), with or without
    /// credentials, ssh://git@host/owner/repo.git and git@host:owner/repo.git. Anything else (another host, a local
    /// path, a deeper path) is not a GitHub repository: false, with the reason (which never repeats credentials).
    /// </summary>
    public static bool TryParse(string url, string host, [NotNullWhen(true)] out GitHubRepository? repository, out string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        repository = null;
        reason = "";
        if (string.IsNullOrWhiteSpace(url)) { reason = "the URL is empty"; return false; }
        var text = url.Trim();

        string? path = null;
        var scp = ScpLike().Match(text);
        if (scp.Success)
        {
            if (!scp.Groups["host"].Value.Equals(host, StringComparison.OrdinalIgnoreCase))
            {
                reason = $"its host {scp.Groups["host"].Value} is not {host}";
                return false;
            }
            path = scp.Groups["path"].Value;
        }
        else if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" or "ssh" or "git")
        {
            if (!uri.Host.Equals(host, StringComparison.OrdinalIgnoreCase))
            {
                reason = $"its host {uri.Host} is not {host}";
                return false;
            }
            path = uri.AbsolutePath;
        }
        else
        {
            reason = "it is not a remote Git URL (a local path or an unknown scheme)";
            return false;
        }

        var parts = path.Trim('/').Split('/');
        if (parts.Length != 2 || !SegmentPattern().IsMatch(parts[0]) || !SegmentPattern().IsMatch(StripGit(parts[1])))
        {
            reason = $"its path '{path}' is not /owner/repository";
            return false;
        }
        repository = new GitHubRepository(parts[0], StripGit(parts[1]));
        return true;
    }

    private static string StripGit(string name) => name.EndsWith(".git", StringComparison.OrdinalIgnoreCase) ? name[..^4] : name;

    // git@github.com:owner/repo.git (scp-like syntax: no scheme, a colon before the path)
    [GeneratedRegex(@"^(?:[^@/\s]+@)?(?<host>[^:/\s]+):(?<path>[^/\s].*)$")]
    private static partial Regex ScpLike();

    [GeneratedRegex(@"^[A-Za-z0-9_.-]+$")]
    private static partial Regex SegmentPattern();
}
