namespace Slipway.Delivery.GitHub;

/// <summary>How Slipway talks to GitHub. The token is a secret: never logged, never put in a message.</summary>
public sealed record GitHubOptions
{
    /// <summary>
    /// A token with contents, pull-requests, deployments and statuses write access (a PAT or an app token). Empty:
    /// the GitHub features are off.
    /// </summary>
    public string Token { get; init; } = "";

    /// <summary>The Git host config-repo URLs must name: github.com, or a GitHub Enterprise Server host.</summary>
    public string Host { get; init; } = "github.com";

    /// <summary>
    /// The REST API's address. Null: https://api.github.com/ for github.com, https://&lt;Host&gt;/ otherwise. Octokit
    /// appends /api/v3/ to any address that is not github.com (the GitHub Enterprise Server layout).
    /// </summary>
    public Uri? ApiBaseAddress { get; init; }

    /// <summary>How often reviews and checks are polled while waiting.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// When a pull request's head has no status and no check run at all, how long to wait for CI to report one before
    /// treating "no checks" as green (a repository without CI). Use <see cref="RequiredChecks"/> to demand checks.
    /// </summary>
    public TimeSpan NoChecksGracePeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Status contexts or check-run names that must be present and green before an automatic merge.</summary>
    public IReadOnlyList<string> RequiredChecks { get; init; } = [];

    /// <summary>How an automatic environment's pull request is merged.</summary>
    public GitHubMergeMethod MergeMethod { get; init; } = GitHubMergeMethod.Squash;

    /// <summary>Delete the promotion branch once its pull request is merged.</summary>
    public bool DeleteBranchAfterMerge { get; init; } = true;

    /// <summary>Attempts for calls that are safe to repeat (reads and statuses) when GitHub answers 5xx or cannot be reached.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>First delay between those attempts; grows exponentially.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Timeout of one HTTP request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Never prints the token (a record's generated ToString would).</summary>
    public override string ToString() =>
        $"GitHubOptions {{ Host = {Host}, ApiBaseAddress = {EffectiveApiBaseAddress}, Token = {(Token.Length == 0 ? "(none)" : "***")}, MergeMethod = {MergeMethod} }}";

    /// <summary>The API address Octokit is given (before it appends /api/v3/ for non-github.com hosts).</summary>
    public Uri EffectiveApiBaseAddress =>
        ApiBaseAddress ?? (Host.Equals("github.com", StringComparison.OrdinalIgnoreCase)
            ? new Uri("https://api.github.com/")
            : new Uri($"https://{Host}/"));
}

public enum GitHubMergeMethod
{
    Squash,
    Merge,
}
