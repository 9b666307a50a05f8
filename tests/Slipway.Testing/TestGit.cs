using CliWrap;
using CliWrap.Buffered;

namespace Slipway.Testing;

/// <summary>
/// Runs git directly, not through the code under test, to set up and observe repositories in tests.
/// Throws with git's error output when git fails, so a broken setup is not mistaken for a failing product.
/// </summary>
public static class TestGit
{
    public static async Task<string> RunAsync(string directory, IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null, string? input = null)
    {
        var command = Cli.Wrap("git").WithArguments(arguments).WithWorkingDirectory(directory)
            .WithEnvironmentVariables(environment ?? new Dictionary<string, string?>())
            .WithValidation(CommandResultValidation.None);
        if (input is not null) command = command.WithStandardInputPipe(PipeSource.FromString(input));
        var result = await command.ExecuteBufferedAsync();
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed (exit {result.ExitCode}) in {directory}: {result.StandardError.Trim()}");
        return result.StandardOutput;
    }
}
