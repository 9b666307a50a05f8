using Slipway.Build;

partial class Build
{
    /// <summary>One project's run of a tier: TRX and coverage, a hung or crashed run tried once more, failed tests retried.</summary>
    sealed record ProjectOutcome(string Project, IReadOnlyList<TestResult> Results, IReadOnlyList<string> Flaky, bool Crashed);

    /// <summary>Runs test projects for one tier; several may run at once, each logging with its name as a prefix.</summary>
    sealed class TestProjectRuns(Build build, TestTier tier, AbsolutePath resultsDirectory)
    {
        AbsolutePath RetriesDirectory => resultsDirectory / "retries";

        public async Task<ProjectOutcome> RunAsync(AbsolutePath project)
        {
            var name = project.NameWithoutExtension;
            var trx = resultsDirectory / $"{name}.trx";
            var (exitCode, hung) = await RunOnceAsync(project, name);
            bool NoResults() => hung || (exitCode != 0 && !trx.FileExists());
            if (NoResults())
            {
                // A hang (reported above, with the tests that were running and a dump) or a crashed test host is run once
                // more: one stuck test must not cost a whole CI run, but it must not pass unseen either.
                if (hung)
                {
                    build.Log.Warning("{Project} hung; running it once more (the hang's log and dump stay in {Directory})",
                        name, (resultsDirectory / "hung").RelativeTo(build.RootDirectory));
                }
                else
                {
                    build.Log.Warning("{Project}'s test run ended without results (exit code {ExitCode}); running it once more", name, exitCode);
                }
                (exitCode, hung) = await RunOnceAsync(project, name);
            }
            if (NoResults())
            {
                return new ProjectOutcome(name, [], [], Crashed: true); // no TRX: its tests are not in the tally
            }
            var flaky = new List<string>();
            var results = await RetryFailedTestsAsync(project, name, TrxReport.Read(trx), flaky);
            return new ProjectOutcome(name, results, flaky, Crashed: false);
        }

        /// <summary>More failed methods than this in one project is a broken build, not a flaky test: no retry.</summary>
        const int MostRetriedMethods = 5;

        /// <summary>
        /// Runs a project's failed test methods again (Gradle's test-retry, Maven's rerunFailingTestsCount): a test that
        /// passes on a later run counts as passed but is named as flaky; one that fails every time stays failed.
        /// </summary>
        async Task<IReadOnlyList<TestResult>> RetryFailedTestsAsync(AbsolutePath project, string name, IReadOnlyList<TestResult> results, List<string> flaky)
        {
            for (var attempt = 1; attempt <= build.TestRetries; attempt++)
            {
                var failedMethods = results.Where(result => result.Failed).Select(result => result.Method).Distinct().ToList();
                if (failedMethods.Count == 0 || failedMethods.Count > MostRetriedMethods)
                {
                    break;
                }
                build.Log.Warning("{Project}: running {Count} failed test method(s) again (attempt {Attempt} of {Retries}): {Methods}",
                    name, failedMethods.Count, attempt, build.TestRetries, string.Join(", ", failedMethods));
                var retryFile = $"{name}.retry-{attempt}.trx";
                await build.RunAllowingFailureAsync("dotnet",
                [
                    .. Arguments(project, RetriesDirectory, retryFile),
                    .. failedMethods.SelectMany(method => new[] { "--filter-method", method }),
                ], logPrefix: name);
                var retried = (RetriesDirectory / retryFile).FileExists() ? TrxReport.Read(RetriesDirectory / retryFile) : [];
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
                    build.Log.Warning("Flaky: {Test} failed ({Message}) and passed when run again", result.Name, result.Headline);
                    if (!flaky.Contains(result.Method))
                    {
                        flaky.Add(result.Method);
                    }
                    return again[0];
                }).ToList();
            }
            return results;
        }

        /// <summary>`dotnet test` of an already built project, its results in a TRX file, for a whole run and for a retry alike.</summary>
        string[] Arguments(AbsolutePath project, AbsolutePath directory, string trxFile) =>
        [
            "test", "--project", project, "--no-build", "--configuration", build.Configuration.ToString(),
            "--results-directory", directory, "--report-trx", "--report-trx-filename", trxFile,
            // A test that hangs ends the run with a mini dump and the names of the tests still running,
            // instead of eating the CI time limit in silence.
            "--hangdump", "--hangdump-timeout", $"{build.TestHangMinutes}m", "--hangdump-type", "Mini",
        ];

        /// <summary>Runs one project's tier; true when it hung (the hang-dump extension stopped it and named the tests still running).</summary>
        async Task<(int ExitCode, bool Hung)> RunOnceAsync(AbsolutePath project, string name)
        {
            var exitCode = await build.RunAllowingFailureAsync("dotnet",
            [
                .. Arguments(project, resultsDirectory, $"{name}.trx"),
                .. tier.Arguments,
                "--coverlet", "--coverlet-output-format", "cobertura", "--coverlet-file-prefix", name,
            ], logPrefix: name);
            // Projects of a tier share the results directory: only this project's hang files are its own.
            var hangFiles = resultsDirectory.GlobFiles("*_hang.*", recursive: false)
                .Where(file => file.Name.Contains(name, StringComparison.Ordinal)).ToList();
            if (hangFiles.Count == 0) return (exitCode, false);
            var kept = resultsDirectory / "hung";
            kept.CreateDirectory();
            foreach (var log in hangFiles.Where(file => file.Name.EndsWith(".log", StringComparison.Ordinal)))
            {
                build.Log.Error("{Project} hung; tests still running when it was stopped:{NewLine}{Tests}",
                    name, System.Environment.NewLine, File.ReadAllText(log).TrimEnd());
            }
            foreach (var file in hangFiles) File.Move(file, kept / $"{name}-{file.Name}", overwrite: true);
            (resultsDirectory / $"{name}.trx").DeleteFile(); // a partial TRX of the hung run must not be counted
            return (exitCode, true);
        }
    }

    [Parameter("Times a failed test is run again before it counts as failed; one that passes again is reported as flaky (default 1; 0: no retry)")]
    readonly int TestRetries = 1;

    [Parameter("Minutes without progress after which a test run is treated as hung: dumped, its running tests named, and stopped (default 15)")]
    readonly int TestHangMinutes = 15;
}
