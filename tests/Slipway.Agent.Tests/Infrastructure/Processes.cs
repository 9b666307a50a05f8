using System.Text;
using CliWrap;
using CliWrap.Buffered;

namespace Slipway.Agent.Tests.Infrastructure;

static class Processes
{
    public static async Task<string> RunAsync(string program, IEnumerable<string> arguments, string? workingDirectory = null,
        CancellationToken cancellationToken = default)
    {
        var result = await Cli.Wrap(program).WithArguments(arguments)
            .WithWorkingDirectory(workingDirectory ?? Directory.GetCurrentDirectory())
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(Encoding.UTF8, cancellationToken);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({result.ExitCode}):\n{result.StandardOutput}\n{result.StandardError}");
        return result.StandardOutput;
    }

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Slipway.slnx")))
                return directory.FullName;
        throw new InvalidOperationException("Slipway.slnx not found above the test binaries.");
    }
}
