using CliWrap;
using CliWrap.Buffered;

namespace Slipway.Build.Tests.CI;

/// <summary>The generated GitHub workflow checked by @action-validator/cli (npm), the schema validator GitHub users run.</summary>
[Trait("Tier", "Engine")]
public class ActionValidatorTests
{
    private const string Version = "0.6.0";

    [Fact]
    public async Task The_generated_workflow_passes_action_validator()
    {
        var validator = await InstallValidatorAsync();
        using var root = new TempRoot();
        var workflow = root.Path / ".github/workflows/pipeline.yml";
        workflow.WriteAllText(CiGenerationTests.Content(typeof(PipelineBuild), ".github/workflows/pipeline.yml"));

        var result = await RunAsync(validator, workflow);

        Assert.True(result.ExitCode == 0, $"action-validator {Version} rejected the workflow:\n{result.StandardOutput}\n{result.StandardError}");
    }

    [Fact]
    public async Task Action_validator_does_reject_a_broken_workflow()
    {
        // Proves the check above can fail: the same workflow with a job that has no runs-on.
        var validator = await InstallValidatorAsync();
        using var root = new TempRoot();
        var workflow = root.Path / ".github/workflows/pipeline.yml";
        workflow.WriteAllText(CiGenerationTests.Content(typeof(PipelineBuild), ".github/workflows/pipeline.yml")
            .Replace("runs-on: ubuntu-latest", "runs-onn: ubuntu-latest", StringComparison.Ordinal));

        var result = await RunAsync(validator, workflow);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Additional property 'runs-onn' is not allowed", result.StandardOutput + result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_repository_s_committed_workflows_pass_action_validator()
    {
        var validator = await InstallValidatorAsync();
        var repository = AbsolutePath.Create(AppContext.BaseDirectory);
        while (!(repository / "build.sh").FileExists() || !(repository / ".nuke").DirectoryExists())
        {
            repository = repository.Parent ?? throw new InvalidOperationException($"No repository root (build.sh and .nuke/) above {AppContext.BaseDirectory}.");
        }
        var workflows = (repository / ".github" / "workflows").GlobFiles("*.yml", recursive: false);
        Assert.NotEmpty(workflows);

        foreach (var workflow in workflows)
        {
            var result = await RunAsync(validator, workflow);
            Assert.True(result.ExitCode == 0, $"action-validator {Version} rejected {workflow.RelativeTo(repository)}:\n{result.StandardOutput}\n{result.StandardError}");
        }
    }

    private static Task<BufferedCommandResult> RunAsync(string validator, AbsolutePath workflow) =>
        Cli.Wrap(validator).WithArguments([workflow]).WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(TestContext.Current.CancellationToken);

    /// <summary>
    /// Installs the validator once per machine into a temp cache (npm install --prefix); a concurrent installer's result is
    /// taken as is. Skips only when npm is absent.
    /// </summary>
    private static async Task<string> InstallValidatorAsync()
    {
        var npm = FindOnPath("npm");
        Assert.SkipWhen(npm is null, "npm is not installed: @action-validator/cli cannot be installed to validate the workflow.");

        var cache = Path.Combine(Path.GetTempPath(), "slipway-action-validator", Version);
        var executable = Path.Combine(cache, "node_modules", ".bin", "action-validator");
        if (File.Exists(executable))
        {
            return executable;
        }
        var staging = $"{cache}.{Guid.NewGuid():N}";
        try
        {
            var install = await Cli.Wrap(npm!)
                .WithArguments(["install", "--prefix", staging, "--no-audit", "--no-fund", $"@action-validator/cli@{Version}"])
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(TestContext.Current.CancellationToken);
            Assert.True(install.ExitCode == 0, $"npm install @action-validator/cli@{Version} failed:\n{install.StandardOutput}\n{install.StandardError}");
            try
            {
                Directory.Move(staging, cache);
            }
            catch (IOException) when (File.Exists(executable))
            {
                // Another test process installed it first; use theirs.
            }
            return executable;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
}
