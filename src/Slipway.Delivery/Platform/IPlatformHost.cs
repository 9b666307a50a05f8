namespace Slipway.Delivery.Platform;

/// <summary>
/// The machine the platform is brought up on: who we are, what is installed, and how to run things.
/// An interface so that install decisions can be tested without uninstalling anything.
/// </summary>
public interface IPlatformHost
{
    /// <summary>The process runs with root privileges (euid 0).</summary>
    bool IsRoot { get; }

    bool FileExists(string path);

    /// <summary>Runs a command to completion; throws <see cref="PlatformCommandException"/> on a non-zero exit.</summary>
    Task<string> RunAsync(string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment,
                          CancellationToken cancellationToken);

    /// <summary>
    /// Starts a long-lived server in its own session, detached from this process (it outlives the build),
    /// stdout and stderr appended to <paramref name="logFile"/>. Returns its process id.
    /// </summary>
    Task<int> StartDetachedAsync(string program, IReadOnlyList<string> arguments, string logFile, CancellationToken cancellationToken);

    /// <summary>The command line of a process (to tell whose it is), or null when there is none or it shows none.</summary>
    string? CommandLineOf(int processId);

    /// <summary>
    /// Whether the process exists and has not exited (a zombie waiting to be reaped has). Not the command line: it is empty
    /// for a moment while a process execs and while it exits, before it closes its sockets.
    /// </summary>
    bool IsRunning(int processId);

    /// <summary>Sends SIGTERM, waits up to <paramref name="grace"/>, then SIGKILL.</summary>
    Task TerminateAsync(int processId, TimeSpan grace, CancellationToken cancellationToken);
}

public sealed class PlatformCommandException(string command, int exitCode, string output) : Exception(
    $"'{command}' failed with exit code {exitCode}:{Environment.NewLine}{Tail(output)}")
{
    public int ExitCode { get; } = exitCode;

    static string Tail(string output)
    {
        var lines = output.TrimEnd().Split('\n');
        return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 25)));
    }
}
