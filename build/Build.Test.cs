using Slipway.Build;

partial class Build
{
    [Parameter("Test projects to run, by name (default: every *.Tests project under tests/)")]
    readonly string[] TestProjects = [];

    AbsolutePath TestResultsDirectory => ArtifactsDirectory / "test-results";

    /// <summary>Runs every test project (Microsoft.Testing.Platform) with TRX and Cobertura coverage; the last line printed is the tally.</summary>
    Target Test => _ => _
        .Description("Runs the test projects; TRX and coverage under .nuke/artifacts/test-results")
        .DependsOn(Compile, Infrastructure) // integration tests need the Docker engine, docker-registry and mmdebstrap
        .Executes(async () =>
        {
            var projects = SelectTestProjects(); // before cleaning: a typo in --test-projects keeps the previous results
            TestResultsDirectory.CreateOrCleanDirectory();
            var crashed = new List<string>();
            var results = new List<TestResult>();
            foreach (var project in projects)
            {
                var name = project.NameWithoutExtension;
                var trx = TestResultsDirectory / $"{name}.trx";
                var (exitCode, hung) = await RunTestProjectAsync(project, name);
                bool NoResults() => hung || (exitCode != 0 && !trx.FileExists());
                if (NoResults())
                {
                    // A hang (reported above, with the tests that were running and a dump) or a crashed test host is run once
                    // more: one stuck test must not cost a whole CI run, but it must not pass unseen either.
                    if (hung)
                    {
                        Log.Warning("{Project} hung; running it once more (the hang's log and dump stay in {Directory})",
                            name, (TestResultsDirectory / "hung").RelativeTo(RootDirectory));
                    }
                    else
                    {
                        Log.Warning("{Project}'s test run ended without results (exit code {ExitCode}); running it once more", name, exitCode);
                    }
                    (exitCode, hung) = await RunTestProjectAsync(project, name);
                }
                if (NoResults())
                {
                    crashed.Add(name); // no TRX: the run broke before reporting, so its tests are not in the tally
                    continue;
                }
                results.AddRange(await RetryFailedTestsAsync(project, name, TrxReport.Read(trx)));
            }

            var failed = results.Where(result => result.Failed).ToList();
            foreach (var result in failed)
            {
                Log.Error("Failed: {Test}: {Message}", result.Name, result.Headline);
            }
            AddClosingLine($"tests: {results.Count(result => result.Passed)} passed, {failed.Count} failed");
            if (failed.Count > 0 || crashed.Count > 0)
            {
                var problems = new List<string>();
                if (failed.Count > 0)
                {
                    problems.Add($"{failed.Count} test(s) failed: {string.Join("; ", failed.Take(10).Select(result => result.Name))}" +
                        $"{(failed.Count > 10 ? "; ..." : "")}. Their TRX files are in {TestResultsDirectory.RelativeTo(RootDirectory)}.");
                }
                if (crashed.Count > 0)
                {
                    problems.Add($"No results from {string.Join(", ", crashed)}: the test run itself failed (see its output above).");
                }
                throw new InvalidOperationException(string.Join(" ", problems));
            }
        });

    [Parameter("Times a failed test is run again before it counts as failed; one that passes again is reported as flaky (default 1; 0: no retry)")]
    readonly int TestRetries = 1;

    /// <summary>More failed methods than this in one project is a broken build, not a flaky test: no retry.</summary>
    const int MostRetriedMethods = 5;

    /// <summary>
    /// Runs a project's failed test methods again (Gradle's test-retry, Maven's rerunFailingTestsCount): a test that passes
    /// on a later run counts as passed but is named as flaky in the log; one that fails every time stays failed.
    /// </summary>
    async Task<IReadOnlyList<TestResult>> RetryFailedTestsAsync(AbsolutePath project, string name, IReadOnlyList<TestResult> results)
    {
        for (var attempt = 1; attempt <= TestRetries; attempt++)
        {
            var failedMethods = results.Where(result => result.Failed).Select(result => result.Method).Distinct().ToList();
            if (failedMethods.Count == 0 || failedMethods.Count > MostRetriedMethods)
            {
                break;
            }
            Log.Warning("{Project}: running {Count} failed test method(s) again (attempt {Attempt} of {Retries}): {Methods}",
                name, failedMethods.Count, attempt, TestRetries, string.Join(", ", failedMethods));
            var retryFile = $"{name}.retry-{attempt}.trx";
            await RunAllowingFailureAsync("dotnet",
            [
                .. TestRunArguments(project, TestRetriesDirectory, retryFile),
                .. failedMethods.SelectMany(method => new[] { "--filter-method", method }),
            ]);
            var retried = (TestRetriesDirectory / retryFile).FileExists() ? TrxReport.Read(TestRetriesDirectory / retryFile) : [];
            results = results.Select(result =>
            {
                if (!result.Failed)
                {
                    return result;
                }
                var again = retried.Where(other => other.Name == result.Name).ToList();
                if (again.Count == 0 || !again.All(other => other.Passed))
                {
                    return result;
                }
                Log.Warning("Flaky: {Test} failed ({Message}) and passed when run again", result.Name, result.Headline);
                return again[0];
            }).ToList();
        }
        return results;
    }

    AbsolutePath TestRetriesDirectory => TestResultsDirectory / "retries";

    [Parameter("Minutes without progress after which a test run is treated as hung: dumped, its running tests named, and stopped (default 15)")]
    readonly int TestHangMinutes = 15;

    /// <summary>`dotnet test` of an already built project, its results in a TRX file, for a whole run and for a retry alike.</summary>
    string[] TestRunArguments(AbsolutePath project, AbsolutePath resultsDirectory, string trxFile) =>
    [
        "test", "--project", project, "--no-build", "--configuration", Configuration.ToString(),
        "--results-directory", resultsDirectory, "--report-trx", "--report-trx-filename", trxFile,
        // A test that hangs ends the run with a mini dump and the names of the tests still running,
        // instead of eating the CI time limit in silence.
        "--hangdump", "--hangdump-timeout", $"{TestHangMinutes}m", "--hangdump-type", "Mini",
    ];

    /// <summary>Runs one test project; true when it hung (the hang-dump extension stopped it and named the tests still running).</summary>
    async Task<(int ExitCode, bool Hung)> RunTestProjectAsync(AbsolutePath project, string name)
    {
        var exitCode = await RunAllowingFailureAsync("dotnet",
        [
            .. TestRunArguments(project, TestResultsDirectory, $"{name}.trx"),
            "--coverlet", "--coverlet-output-format", "cobertura", "--coverlet-file-prefix", name,
        ]);
        var hangFiles = TestResultsDirectory.GlobFiles("*_hang.*", recursive: false);
        if (hangFiles.Count == 0) return (exitCode, false);
        var kept = TestResultsDirectory / "hung";
        kept.CreateDirectory();
        foreach (var log in hangFiles.Where(file => file.Name.EndsWith(".log", StringComparison.Ordinal)))
        {
            Log.Error("{Project} hung; tests still running when it was stopped:{NewLine}{Tests}",
                name, System.Environment.NewLine, File.ReadAllText(log).TrimEnd());
        }
        foreach (var file in hangFiles) File.Move(file, kept / $"{name}-{file.Name}", overwrite: true);
        (TestResultsDirectory / $"{name}.trx").DeleteFile(); // a partial TRX of the hung run must not be counted
        return (exitCode, true);
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
