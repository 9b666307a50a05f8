using Slipway.Build;

/// <summary>
/// A tier of the test suite, selected by the xunit trait <c>[Trait("Tier", "Engine")]</c>: the fast tier is every test
/// without it, the engine tier every test with it.
/// </summary>
sealed record TestTier(string Name, string FilterOption)
{
    public const string EngineTrait = "Tier=Engine";

    public static TestTier Fast { get; } = new("fast", "--filter-not-trait");
    public static TestTier Engine { get; } = new("engine", "--filter-trait");

    public AbsolutePath ResultsDirectory(AbsolutePath testResults) => testResults / Name;

    /// <summary>The test platform's options selecting this tier; a project without tests in the tier is no failure (exit code 8).</summary>
    public IReadOnlyList<string> Arguments => [FilterOption, EngineTrait, "--ignore-exit-code", "8"];
}

/// <summary>What a tier's run found, kept beside its TRX files so an up-to-date tier can report it again.</summary>
sealed record TierSummary(int Passed, int Failed, IReadOnlyList<string> Flaky)
{
    public const string FileName = "summary.json";
}

/// <summary>The tiers' results added up; each tier counts once, however often it reports.</summary>
sealed class TestTally
{
    readonly Dictionary<string, TierSummary> _tiers = [];

    public void Add(TestTier tier, TierSummary summary)
    {
        lock (_tiers)
        {
            _tiers[tier.Name] = summary;
        }
    }

    public int Passed { get { lock (_tiers) return _tiers.Values.Sum(summary => summary.Passed); } }
    public int Failed { get { lock (_tiers) return _tiers.Values.Sum(summary => summary.Failed); } }
    public IReadOnlyList<string> Flaky { get { lock (_tiers) return _tiers.Values.SelectMany(summary => summary.Flaky).Distinct().ToList(); } }
}
