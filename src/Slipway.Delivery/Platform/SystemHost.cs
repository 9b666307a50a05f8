using System.Diagnostics;
using CliWrap;
using CliWrap.Buffered;

namespace Slipway.Delivery.Platform;

/// <summary>The real machine: commands through CliWrap, detached servers through setsid.</summary>
public sealed class SystemHost : IPlatformHost
{
    public bool IsRoot => Environment.IsPrivilegedProcess;

    public bool FileExists(string path) => File.Exists(path);

    public async Task<string> RunAsync(string program, IReadOnlyList<string> arguments,
                                       IReadOnlyDictionary<string, string?>? environment, CancellationToken cancellationToken)
    {
        var command = Cli.Wrap(program).WithArguments(arguments).WithValidation(CommandResultValidation.None);
        if (environment is not null)
            command = command.WithEnvironmentVariables(environment);
        var result = await command.ExecuteBufferedAsync(cancellationToken);
        if (result.ExitCode != 0)
            throw new PlatformCommandException($"{program} {string.Join(' ', arguments)}", result.ExitCode,
                                               result.StandardOutput + result.StandardError);
        return result.StandardOutput;
    }

    public async Task<int> StartDetachedAsync(string program, IReadOnlyList<string> arguments, string logFile,
                                              CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logFile))!);
        // A background job of a non-interactive shell is not a process-group leader, so setsid execs in place:
        // $! is the server's own pid. Its own session keeps it alive after the build (and its terminal) ends;
        // its output goes to the log file, not to pipes we hold. Descriptors the build inherited are closed first:
        // a daemon keeping e.g. the lock of 'flock lock ./build.sh ...' would hold that lock for as long as it runs.
        const string script =
            "log=\"$1\"; shift; " +
            "for fd in /proc/$$/fd/*; do fd=\"${fd##*/}\"; [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\" 2>/dev/null; done; " +
            "setsid \"$@\" >>\"$log\" 2>&1 </dev/null & echo $!";
        var output = await RunAsync("/bin/bash", ["-c", script, "bash", logFile, program, .. arguments], null, cancellationToken);
        return int.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public string? CommandLineOf(int processId)
    {
        try
        {
            var raw = File.ReadAllText($"/proc/{processId}/cmdline");
            if (raw.Length == 0) return null;  // a zombie has no command line
            return raw.TrimEnd('\0').Replace('\0', ' ');
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public async Task TerminateAsync(int processId, TimeSpan grace, CancellationToken cancellationToken)
    {
        Process process;
        try { process = Process.GetProcessById(processId); }
        catch (ArgumentException) { return; }  // already gone
        using (process)
        {
            try
            {
                await RunAsync("kill", ["-TERM", processId.ToString(System.Globalization.CultureInfo.InvariantCulture)], null, cancellationToken);
            }
            catch (PlatformCommandException) when (!IsRunning(processId))
            {
                return;  // exited in between
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(grace);
            try
            {
                while (IsRunning(processId))
                    await Task.Delay(100, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill();
                while (IsRunning(processId))
                    await Task.Delay(100, cancellationToken);
            }
        }
    }

    /// <summary>Present, and neither a zombie (state Z) nor dead (X): field 3 of /proc/pid/stat, after the command name.</summary>
    public bool IsRunning(int processId)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{processId}/stat"); }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException) { return false; }
        var afterName = stat.LastIndexOf(')');
        return afterName >= 0 && afterName + 2 < stat.Length && stat[afterName + 2] is not ('Z' or 'X');
    }
}
