namespace Slipway.Edge.State;

/// <summary>
/// The lock every change to the route table takes, shared by the edge copies running side by side during an upgrade
/// (an exclusive lock on a file in the state directory): a change applies and saves as one step, and a starting copy
/// takes the admin socket and reloads the table as one step, so no change lands on a copy that no longer serves.
/// </summary>
public static class AdminLock
{
    public static async Task<IDisposable> AcquireAsync(string stateDirectory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(stateDirectory, "routes.lock");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20, cancellationToken);
            }
        }
    }
}
