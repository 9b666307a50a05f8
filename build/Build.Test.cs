using System.Text.Json;
using Slipway.Build;

partial class Build
{
    [Parameter("Test projects to run, by name (default: every *.Tests project under tests/)")]
    readonly string[] TestProjects = [];

    [Parameter("Test projects the fast tier runs at once (default: the processor count; the engine tier runs one at a time)")]
    readonly int TestParallelism = System.Environment.ProcessorCount;

    AbsolutePath TestResultsDirectory => ArtifactsDirectory / "test-results";

    /// <summary>What every test tier's tally adds up to, printed last: "tests: N passed, N failed".</summary>
    readonly TestTally Tally = new();

    /// <summary>
    /// The fast tier, which the pipeline runs on every change: unit and in-process component tests (WebApplicationFactory,
    /// the Kubernetes and GitHub simulations, fakes). It needs no platform. Up to date while no source changed: it then
    /// reports the results of its last run.
    /// </summary>
    Target Test => _ => _
        .Description("The fast tier: unit and in-process tests of every project, projects in parallel; no container, process, registry or browser")
        .DependsOn(Compile)
        .Inputs(() => SolutionInputs)
        .InputValues(() => Configuration, () => TestProjects, () => TestRetries)
        .Outputs(() => [TestTier.Fast.ResultsDirectory(TestResultsDirectory)])
        .WhenUpToDate(() => ReportUpToDateTierAsync(TestTier.Fast))
        .Executes(() => RunTierAsync(TestTier.Fast, TestParallelism));

    /// <summary>
    /// The real-engine tier: the drills that prove the fast tier's fakes tell the truth, on the Docker engine, a registry,
    /// agent and Beacon processes, images, load and Chromium. One project at a time: its drills measure latency under load.
    /// </summary>
    Target EngineTest => _ => _
        .Description("The real-engine tier: Docker engine, registry, agent processes, images, load and browsers (needs Infrastructure)")
        .DependsOn(Compile, Infrastructure)
        .After(Test)
        .Inputs(() => SolutionInputs)
        .InputValues(() => Configuration, () => TestProjects, () => TestRetries)
        .Outputs(() => [TestTier.Engine.ResultsDirectory(TestResultsDirectory)])
        .WhenUpToDate(() => ReportUpToDateTierAsync(TestTier.Engine))
        .Executes(() => RunTierAsync(TestTier.Engine, parallelism: 1));

    /// <summary>Runs one tier of every selected project; the tier's tally joins the run's, failures and flaky tests are named.</summary>
    async Task RunTierAsync(TestTier tier, int parallelism)
    {
        // Before cleaning: a typo in --test-projects keeps the previous results. The biggest projects start first, so the
        // longest run overlaps the others instead of starting last (size in test sources: a stable, stateless proxy for time).
        var projects = SelectTestProjects().OrderByDescending(project => project.Parent!.GlobFiles("*.cs").Count).ToList();
        var resultsDirectory = tier.ResultsDirectory(TestResultsDirectory);
        resultsDirectory.CreateOrCleanDirectory();
        var runs = new TestProjectRuns(this, tier, resultsDirectory);
        using var slots = new SemaphoreSlim(Math.Max(1, parallelism));
        var outcomes = await Task.WhenAll(projects.Select(async project =>
        {
            await slots.WaitAsync(CancellationToken);
            try
            {
                return await runs.RunAsync(project);
            }
            finally
            {
                slots.Release();
            }
        }));

        var results = outcomes.SelectMany(outcome => outcome.Results).ToList();
        var summary = new TierSummary(
            results.Count(result => result.Passed),
            results.Count(result => result.Failed),
            outcomes.SelectMany(outcome => outcome.Flaky).Order(StringComparer.Ordinal).ToList());
        await File.WriteAllTextAsync(resultsDirectory / TierSummary.FileName, JsonSerializer.Serialize(summary), CancellationToken);
        Tally.Add(tier, summary);
        ReportTally();

        var failed = results.Where(result => result.Failed).ToList();
        foreach (var result in failed)
        {
            Log.Error("Failed: {Test}: {Message}", result.Name, result.Headline);
        }
        ReportFlaky(tier, summary.Flaky);
        var crashed = outcomes.Where(outcome => outcome.Crashed).Select(outcome => outcome.Project).ToList();
        if (failed.Count > 0 || crashed.Count > 0)
        {
            var problems = new List<string>();
            if (failed.Count > 0)
            {
                problems.Add($"{failed.Count} test(s) failed: {string.Join("; ", failed.Take(10).Select(result => result.Name))}" +
                    $"{(failed.Count > 10 ? "; ..." : "")}. Their TRX files are in {resultsDirectory.RelativeTo(RootDirectory)}.");
            }
            if (crashed.Count > 0)
            {
                problems.Add($"No results from {string.Join(", ", crashed)}: the test run itself failed (see its output above).");
            }
            throw new InvalidOperationException(string.Join(" ", problems));
        }
    }

    /// <summary>An up-to-date tier reports what its last run found, so the tally covers every tier of the run.</summary>
    async Task ReportUpToDateTierAsync(TestTier tier)
    {
        var file = tier.ResultsDirectory(TestResultsDirectory) / TierSummary.FileName;
        var summary = JsonSerializer.Deserialize<TierSummary>(await File.ReadAllTextAsync(file, CancellationToken))
            ?? throw new InvalidOperationException($"{file} is empty; run with --force.");
        Log.Information("The {Tier} tier's results are those of its last run: {Passed} passed, {Failed} failed", tier.Name, summary.Passed, summary.Failed);
        Tally.Add(tier, summary);
        ReportTally();
        ReportFlaky(tier, summary.Flaky);
    }

    void ReportTally() => SetClosingLine("tests", $"tests: {Tally.Passed} passed, {Tally.Failed} failed");

    /// <summary>Flaky tests are listed at the end of every tier and kept in the run record, so they are never silent.</summary>
    void ReportFlaky(TestTier tier, IReadOnlyList<string> flaky)
    {
        if (flaky.Count > 0)
        {
            Log.Warning("Flaky tests of the {Tier} tier ({Count}; they failed, then passed when run again): {Tests}",
                tier.Name, flaky.Count, string.Join(", ", flaky));
        }
    }

    IReadOnlyList<AbsolutePath> SelectTestProjects()
    {
        var all = TestsDirectory.GlobFiles("*.Tests.csproj"); // test projects by convention; tests/ also holds support projects
        if (TestProjects.Length == 0)
        {
            return all;
        }
        var unknown = TestProjects.Where(p => !all.Any(a => a.NameWithoutExtension.Equals(p, StringComparison.OrdinalIgnoreCase))).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidOperationException(
                $"Unknown test project(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", all.Select(a => a.NameWithoutExtension))}.");
        }
        return all.Where(a => TestProjects.Contains(a.NameWithoutExtension, StringComparer.OrdinalIgnoreCase)).ToList();
    }
}
