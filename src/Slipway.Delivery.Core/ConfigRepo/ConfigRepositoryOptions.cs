namespace Slipway.Delivery.ConfigRepo;

/// <summary>Where the config repo lives and how to reach it.</summary>
public sealed record ConfigRepositoryOptions
{
    /// <summary>A local path (a bare repo, created and seeded on first use) or any Git URL (seeded when empty).</summary>
    public required string Url { get; init; }

    /// <summary>The clone this process works in (e.g. .nuke/temp/config-repo); a lock file beside it serialises local users.</summary>
    public required string WorkDirectory { get; init; }

    public string Branch { get; init; } = "main";

    /// <summary>An HTTPS token (e.g. a GitHub token), sent as an Authorization header per command; never stored or logged.</summary>
    public string? Token { get; init; }

    /// <summary>The user name paired with <see cref="Token"/> in Basic auth (GitHub: x-access-token; GitLab: oauth2).</summary>
    public string TokenUser { get; init; } = "x-access-token";

    public string AuthorName { get; init; } = "Slipway";
    public string AuthorEmail { get; init; } = "slipway@localhost";

    /// <summary>Pushes tried before giving up when other pipelines keep moving the branch (non-fast-forward).</summary>
    public int MaxPushAttempts { get; init; } = 10;

    /// <summary>Base delay between push attempts; grows exponentially with jitter, at most <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long to wait for another local process that holds the work directory.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The embedded default: a bare repo at .nuke/platform/config.git, worked on in .nuke/temp/config-repo.</summary>
    public static ConfigRepositoryOptions Embedded(string rootDirectory) => new()
    {
        Url = Path.Combine(rootDirectory, ".nuke", "platform", "config.git"),
        WorkDirectory = Path.Combine(rootDirectory, ".nuke", "temp", "config-repo"),
    };

    /// <summary>True when <see cref="Url"/> is a path on this machine (not a remote URL).</summary>
    public bool IsLocal =>
        !Url.Contains("://", StringComparison.Ordinal) && !System.Text.RegularExpressions.Regex.IsMatch(Url, @"^[^/\\]+@[^/\\]+:")
        || Url.StartsWith("file://", StringComparison.Ordinal);

    public string LocalPath => Url.StartsWith("file://", StringComparison.Ordinal) ? new Uri(Url).LocalPath : Path.GetFullPath(Url);
}
