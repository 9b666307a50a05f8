using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.GitHub;
using Slipway.Delivery.SmokeTesting;
using Slipway.Delivery.Tests.ConfigRepo;

namespace Slipway.Delivery.Tests.GitHub;

/// <summary>A GitHubApiSimulation, a GitHubDelivery wired to it through Octokit, and every log line Slipway wrote.</summary>
public sealed class GitHubSimulationFixture : IDisposable
{
    /// <summary>Looks like a real personal access token so a leak would be found by its text.</summary>
    public const string Token = "ghp_SlipwaySimulatedToken0123456789abcdefXYZ";

    public const string ConfigUrl = "https://github.com/acme/config.git";
    public const string SourceUrl = "git@github.com:acme/beacon.git";
    public const string Digest = "sha256:4f1c2b3a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
    public const string Image = "127.0.0.1:5000/beacon@" + Digest;
    public const string SourceCommit = "0123456789abcdef0123456789abcdef01234567";
    public const string HeadSha = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    public const string MergeSha = "cccccccccccccccccccccccccccccccccccccccc";
    public static readonly string Branch = PromotionBranch.For("production", Image);

    public GitHubApiSimulation Simulation { get; } = new();
    public CollectingSink Log { get; } = new();

    public GitHubOptions Options(GitHubMergeMethod method = GitHubMergeMethod.Squash, params string[] requiredChecks) => new()
    {
        Token = Token,
        ApiBaseAddress = Simulation.BaseAddress,
        PollInterval = TimeSpan.FromMilliseconds(20),
        RetryDelay = TimeSpan.FromMilliseconds(10),
        NoChecksGracePeriod = TimeSpan.FromMilliseconds(100),
        RequestTimeout = TimeSpan.FromSeconds(10),
        MergeMethod = method,
        RequiredChecks = requiredChecks,
    };

    public GitHubDelivery Delivery(GitHubOptions? options = null) =>
        GitHubDelivery.TryCreate(ConfigUrl, SourceUrl, options ?? Options(), Log.Logger())
        ?? throw new InvalidOperationException("the GitHub features should be on for " + ConfigUrl);

    public static DeploymentTrailers Trailers(string environment = "production", string? rollbackOf = null) =>
        new(environment, Image, SourceCommit, new DateTimeOffset(2026, 11, 28, 9, 30, 0, TimeSpan.FromHours(1)), "run-42", rollbackOf);

    public static PromotionPullRequest OpenedPullRequest(int number = 7) =>
        new(number, $"https://github.com/acme/config/pull/{number}", Branch, "main", "Promote beacon 4f1c2b3a4d5e to production",
            GitHubApiSimulation.Author, HeadSha, Trailers());

    public static PromotionEvidence Evidence() => new()
    {
        SmokeTests =
        [
            new SmokeTestResult("staging", new Uri("http://127.0.0.1:8081/"), Passed: true, Rounds: 2,
                DateTimeOffset.Parse("2026-11-28T09:40:00Z"), TimeSpan.FromSeconds(3.2),
                [
                    new SmokeCheckResult("health", true, "200", "200"),
                    new SmokeCheckResult("image digest", true, Digest, Digest),
                    new SmokeCheckResult("greeting | body", true, "Hello", "Hello"),
                ]),
        ],
        CanaryAnalysis = new CanaryAnalysisEvidence(true,
        [
            new CanaryMeasurement(10, "error rate", 0.001, 0.0012, 0.01, true),
            new CanaryMeasurement(10, "p95 latency (ms)", 41.5, 40.2, 250, true),
            new CanaryMeasurement(50, "error rate", 0.0008, 0.001, 0.01, true),
        ], "3 steps, no regression against stable"),
    };

    /// <summary>Nothing Slipway logged, and no exception it raised, may carry the token.</summary>
    public void AssertTokenNeverLogged(params Exception?[] exceptions)
    {
        Assert.DoesNotContain(Token, Log.Text, StringComparison.Ordinal);
        foreach (var exception in exceptions.Where(exception => exception is not null))
            Assert.DoesNotContain(Token, exception!.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => Simulation.Dispose();
}
