using System.Globalization;
using System.Xml.Linq;
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
            foreach (var project in projects)
            {
                var name = project.NameWithoutExtension;
                var (exitCode, hung) = await RunTestProjectAsync(project, name);
                if (hung)
                {
                    // A hang is reported (above, with the tests that were running and a dump) and the project run once more:
                    // one stuck test must not cost a whole CI run, but it must not pass unseen either.
                    Log.Warning("{Project} hung; running it once more (the hang's log and dump stay in {Directory})",
                        name, (TestResultsDirectory / "hung").RelativeTo(RootDirectory));
                    (exitCode, hung) = await RunTestProjectAsync(project, name);
                }
                if (hung || (exitCode != 0 && !(TestResultsDirectory / $"{name}.trx").FileExists()))
                {
                    crashed.Add(name); // no TRX: the run broke before reporting, so its tests are not in the tally
                }
            }

            var (passed, failed) = CountResults(TestResultsDirectory.GlobFiles("*.trx"));
            AddClosingLine($"tests: {passed} passed, {failed} failed");
            if (failed > 0 || crashed.Count > 0)
            {
                var problems = new List<string>();
                if (failed > 0)
                {
                    problems.Add($"{failed} test(s) failed; see the TRX files in {TestResultsDirectory.RelativeTo(RootDirectory)}.");
                }
                if (crashed.Count > 0)
                {
                    problems.Add($"No results from {string.Join(", ", crashed)}: the test run itself failed (see its output above).");
                }
                throw new InvalidOperationException(string.Join(" ", problems));
            }
        });

    [Parameter("Minutes without progress after which a test run is treated as hung: dumped, its running tests named, and stopped (default 15)")]
    readonly int TestHangMinutes = 15;

    /// <summary>Runs one test project; true when it hung (the hang-dump extension stopped it and named the tests still running).</summary>
    async Task<(int ExitCode, bool Hung)> RunTestProjectAsync(AbsolutePath project, string name)
    {
        var exitCode = await RunAllowingFailureAsync("dotnet",
        [
            "test", "--project", project, "--no-build", "--configuration", Configuration.ToString(),
            "--results-directory", TestResultsDirectory,
            "--report-trx", "--report-trx-filename", $"{name}.trx",
            "--coverlet", "--coverlet-output-format", "cobertura", "--coverlet-file-prefix", name,
            // A test that hangs ends the run with a mini dump and the names of the tests still running,
            // instead of eating the CI time limit in silence.
            "--hangdump", "--hangdump-timeout", $"{TestHangMinutes}m", "--hangdump-type", "Mini",
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

    /// <summary>Sums the ResultSummary counters of TRX files (the format VSTest and MTP both write).</summary>
    static (int Passed, int Failed) CountResults(IEnumerable<AbsolutePath> trxFiles)
    {
        XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
        int passed = 0, failed = 0;
        foreach (var file in trxFiles)
        {
            var counters = XDocument.Load(file).Descendants(ns + "Counters").FirstOrDefault()
                ?? throw new InvalidOperationException($"{file} has no ResultSummary counters; is it a TRX file?");
            int Read(string attribute) => int.Parse(counters.Attribute(attribute)?.Value ?? "0", CultureInfo.InvariantCulture);
            passed += Read("passed");
            failed += Read("failed") + Read("error") + Read("timeout") + Read("aborted");
        }
        return (passed, failed);
    }
}
