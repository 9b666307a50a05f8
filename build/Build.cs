using CliWrap;
using Slipway.Build;
using Spectre.Console;
using Spectre.Console.Rendering;

/// <summary>Slipway's pipeline. Targets live in partials by concern (Build.Compile.cs, Build.Test.cs...).</summary>
partial class Build : SlipwayBuild
{
    /// <summary>Runs the default target (Pipeline) unless others are named: <c>./build.sh [targets] [--parameters]</c>.</summary>
    public static Task<int> Main(string[] args) => BuildRunner.RunAsync<Build>(args, x => x.Pipeline);

    /// <summary>The story a user lives, from a commit to a running environment; issue by issue it grows to production.</summary>
    Target Pipeline => _ => _
        .Description("The whole pipeline on the embedded default: Compile, Test, Containerize, ContainerTest, Push, Deploy staging, SmokeTest, Promote production, PromotionSmokeTest")
        .DependsOn(Test, Deploy, SmokeTest, Promote, PromotionSmokeTest, RecordRun);

    [Parameter("Configuration to build: Debug or Release")]
    readonly Configuration Configuration = Configuration.Release;

    AbsolutePath SourceDirectory => RootDirectory / "src";
    AbsolutePath TestsDirectory => RootDirectory / "tests";
    AbsolutePath Solution => RootDirectory / "Slipway.slnx";

    /// <summary>Runs a program, its output piped line by line to the build log (so secrets are masked); a non-zero exit fails the target.</summary>
    async Task RunAsync(string program, IEnumerable<string> arguments, AbsolutePath? workingDirectory = null)
    {
        var exitCode = await RunAllowingFailureAsync(program, arguments, workingDirectory);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(" ", arguments)} exited with code {exitCode}.");
        }
    }

    /// <summary>Writes a Spectre.Console table (or any renderable) into the build log, line by line, so masking applies.</summary>
    void LogRenderable(IRenderable renderable)
    {
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 140;
        console.Write(renderable);
        foreach (var line in writer.ToString().TrimEnd().Split('\n'))
        {
            Log.Information("{Line:l}", line.TrimEnd());
        }
    }

    /// <summary>
    /// Runs a program like <see cref="RunAsync"/> and returns its exit code instead of failing on it; with
    /// <paramref name="logPrefix"/> each of its lines is prefixed, so programs running side by side stay readable.
    /// </summary>
    async Task<int> RunAllowingFailureAsync(string program, IEnumerable<string> arguments, AbsolutePath? workingDirectory = null, string? logPrefix = null)
    {
        var argumentList = arguments.ToList();
        var prefix = logPrefix is null ? "" : $"[{logPrefix}] ";
        Log.Information("{Prefix:l}> {Program} {Arguments:l}", prefix, program, string.Join(" ", argumentList));
        var result = await Cli.Wrap(program)
            .WithArguments(argumentList)
            .WithWorkingDirectory(workingDirectory ?? RootDirectory)
            .WithEnvironmentVariables(e => e.Set("DOTNET_CLI_TELEMETRY_OPTOUT", "1").Set("DOTNET_NOLOGO", "1"))
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line => Log.Information("{Prefix:l}{Output:l}", prefix, line)))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(line => Log.Warning("{Prefix:l}{Output:l}", prefix, line)))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(CancellationToken);
        return result.ExitCode;
    }
}

enum Configuration
{
    Debug,
    Release,
}
