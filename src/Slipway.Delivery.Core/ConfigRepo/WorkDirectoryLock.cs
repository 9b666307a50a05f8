using Slipway.Delivery.Git;

namespace Slipway.Delivery.ConfigRepo;

/// <summary>
/// An exclusive lock on a work directory shared by local processes (an OS file lock on "&lt;dir&gt;.lock", released
/// when the process dies), so two builds on one machine never run git in the same clone at once.
/// </summary>
internal sealed class WorkDirectoryLock : IAsyncDisposable
{
    private readonly FileStream stream;

    private WorkDirectoryLock(FileStream stream) => this.stream = stream;

    public static async Task<WorkDirectoryLock> AcquireAsync(string workDirectory, TimeSpan timeout, Serilog.ILogger log, CancellationToken cancellationToken)
    {
        var path = Path.GetFullPath(workDirectory).TrimEnd(Path.DirectorySeparatorChar) + ".lock";
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var deadline = DateTimeOffset.UtcNow + timeout;
        var logged = false;
        while (true)
        {
            try
            {
                return new WorkDirectoryLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTimeOffset.UtcNow < deadline)
            {
                if (!logged) log.Information("Waiting for another process using {WorkDirectory}", workDirectory);
                logged = true;
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            }
            catch (IOException exception)
            {
                throw new GitException($"{workDirectory} stayed locked by another process for {timeout.TotalSeconds:0} s ({exception.Message}); " +
                                       "wait for the other build to finish, or point this one at another work directory");
            }
        }
    }

    public ValueTask DisposeAsync() => stream.DisposeAsync();
}
