using System.Globalization;
using System.Text.RegularExpressions;
using Slipway.Delivery.Git;

namespace Slipway.Delivery.Versioning;

/// <summary>
/// Computes a <see cref="ServiceVersion"/> from Git with the git CLI, following MinVer's rules:
/// on a tag <c>v?X.Y.Z[-pre]</c> the version is the tag; <c>height</c> commits above it the version is
/// <c>X.Y.(Z+1)-alpha.0.height</c> (or <c>X.Y.Z-pre.height</c> above a pre-release tag); with no tag, <c>0.0.0-alpha.0.height</c>
/// where height counts from the root commit.
/// </summary>
public static partial class GitVersioning
{
    public static async Task<ServiceVersion> ReadAsync(string repositoryDirectory, Serilog.ILogger? log = null, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(repositoryDirectory))
            throw new VersioningException($"Cannot compute the version: directory '{repositoryDirectory}' does not exist.");

        var head = await GitAsync(repositoryDirectory, ["rev-parse", "--verify", "HEAD^{commit}"], cancellationToken, allowFailure: true);
        if (head.ExitCode != 0)
            throw new VersioningException($"Cannot compute the version: '{repositoryDirectory}' is not a Git repository with at least one commit " +
                                          $"({head.StandardError.Trim()}). Commit first, or run from the repository root.");
        var commit = head.StandardOutput.Trim();

        var time = await GitAsync(repositoryDirectory, ["show", "-s", "--format=%ct", commit], cancellationToken);
        var commitTime = DateTimeOffset.FromUnixTimeSeconds(long.Parse(time.StandardOutput.Trim(), CultureInfo.InvariantCulture));

        var (tag, height) = await NearestVersionTagAsync(repositoryDirectory, cancellationToken);
        var version = tag is null ? $"0.0.0-alpha.0.{height}" : VersionAbove(tag, height);
        var result = new ServiceVersion(version, commit, commitTime, height, tag);
        log?.Information("Version {Version} from Git (tag {Tag}, height {Height}, commit {Commit}, committed {CommitTime})",
            result.Version, tag ?? "none", height, result.ShortCommit, result.CommitTimeRfc3339);
        return result;
    }

    /// <summary>
    /// The repository URL for the org.opencontainers.image.source label: the 'origin' remote with any credentials
    /// removed (a token in a clone URL must never end up in an image), else file://&lt;directory&gt;.
    /// </summary>
    public static async Task<string> ReadSourceUrlAsync(string repositoryDirectory, CancellationToken cancellationToken = default)
    {
        var remote = await GitAsync(repositoryDirectory, ["remote", "get-url", "origin"], cancellationToken, allowFailure: true);
        var url = remote.ExitCode == 0 ? remote.StandardOutput.Trim() : "";
        return url.Length == 0 ? new Uri(Path.GetFullPath(repositoryDirectory)).AbsoluteUri : WithoutCredentials(url);
    }

    /// <summary>Removes user info from a URL (https://user:token@host/x -> https://host/x); scp-like git@host:x stays.</summary>
    public static string WithoutCredentials(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0 && uri.Scheme is "http" or "https" or "ssh" or "git"
            ? new UriBuilder(uri) { UserName = "", Password = "" }.Uri.AbsoluteUri
            : url;

    /// <summary>The version <paramref name="height"/> commits above <paramref name="tag"/> (MinVer's default auto-increment: patch).</summary>
    public static string VersionAbove(string tag, int height)
    {
        var match = VersionTag().Match(tag);
        if (!match.Success)
            throw new VersioningException($"Tag '{tag}' is not a version tag; expected v?MAJOR.MINOR.PATCH[-prerelease].");
        var (major, minor, patch) = (int.Parse(match.Groups["major"].Value, CultureInfo.InvariantCulture),
                                     int.Parse(match.Groups["minor"].Value, CultureInfo.InvariantCulture),
                                     int.Parse(match.Groups["patch"].Value, CultureInfo.InvariantCulture));
        var pre = match.Groups["pre"].Success ? match.Groups["pre"].Value : null;
        if (height == 0) return pre is null ? $"{major}.{minor}.{patch}" : $"{major}.{minor}.{patch}-{pre}";
        return pre is null ? $"{major}.{minor}.{patch + 1}-alpha.0.{height}" : $"{major}.{minor}.{patch}-{pre}.{height}";
    }

    public static bool IsVersionTag(string tag) => VersionTag().IsMatch(tag);

    // Walks first-parent-agnostic history from HEAD the way `git describe` does, but only over version tags:
    // every tag pointing into HEAD's history is a candidate; the nearest (fewest commits above it) wins, the higher version on a tie.
    private static async Task<(string? Tag, int Height)> NearestVersionTagAsync(string directory, CancellationToken cancellationToken)
    {
        var tags = await GitAsync(directory, ["tag", "--merged", "HEAD", "--format=%(refname:strip=2)"], cancellationToken);
        (string Tag, int Height, Version Core)? best = null;
        foreach (var tag in tags.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var match = VersionTag().Match(tag);
            if (!match.Success) continue;
            var count = await GitAsync(directory, ["rev-list", "--count", $"refs/tags/{tag}..HEAD"], cancellationToken);
            var height = int.Parse(count.StandardOutput.Trim(), CultureInfo.InvariantCulture);
            var core = new Version(int.Parse(match.Groups["major"].Value, CultureInfo.InvariantCulture),
                                   int.Parse(match.Groups["minor"].Value, CultureInfo.InvariantCulture),
                                   int.Parse(match.Groups["patch"].Value, CultureInfo.InvariantCulture));
            if (best is null || height < best.Value.Height || (height == best.Value.Height && core > best.Value.Core))
                best = (tag, height, core);
        }
        if (best is not null) return (best.Value.Tag, best.Value.Height);

        var all = await GitAsync(directory, ["rev-list", "--count", "HEAD"], cancellationToken);
        return (null, int.Parse(all.StandardOutput.Trim(), CultureInfo.InvariantCulture) - 1);
    }

    private static async Task<GitResult> GitAsync(string directory, string[] arguments, CancellationToken cancellationToken, bool allowFailure = false)
    {
        var result = await new GitCli(Serilog.Core.Logger.None).RunAsync(directory, arguments, cancellationToken: cancellationToken);
        if (result.ExitCode != 0 && !allowFailure)
            throw new VersioningException($"'git {string.Join(' ', arguments)}' failed in '{directory}' (exit {result.ExitCode}): {result.StandardError.Trim()}");
        return result;
    }

    [GeneratedRegex(@"^v?(?<major>0|[1-9]\d*)\.(?<minor>0|[1-9]\d*)\.(?<patch>0|[1-9]\d*)(-(?<pre>[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+[0-9A-Za-z.-]+)?$")]
    private static partial Regex VersionTag();
}

public sealed class VersioningException(string message) : Exception(message);
