namespace Slipway.Edge.Admin;

/// <summary>
/// The admin API's address: each copy listens on its own socket (admin-&lt;name&gt;.sock, mode 600, in a mode 700
/// directory, so only the platform's user can drive the edge), and admin.sock links to the copy that serves. Taking
/// the link is an atomic rename, so the agent always reaches exactly one copy.
/// </summary>
public static class AdminSocket
{
    public static void PrepareDirectory(string stateDirectory)
    {
        Directory.CreateDirectory(stateDirectory);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(stateDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Removes a socket file a crashed run of this same copy left behind (Kestrel cannot bind over it).</summary>
    public static void RemoveStale(string ownSocket)
    {
        if (File.Exists(ownSocket)) File.Delete(ownSocket);
    }

    public static void Restrict(string ownSocket)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(ownSocket, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>Points <paramref name="link"/> at <paramref name="ownSocket"/> (a sibling), replacing the previous copy's link atomically.</summary>
    public static void Take(string link, string ownSocket)
    {
        var temporary = $"{link}.tmp-{Environment.ProcessId}";
        if (File.Exists(temporary) || new FileInfo(temporary).LinkTarget is not null) File.Delete(temporary);
        File.CreateSymbolicLink(temporary, Path.GetFileName(ownSocket));
        File.Move(temporary, link, overwrite: true);
    }

    /// <summary>Whether <paramref name="link"/> names this copy's socket: a copy that no longer serves refuses changes.</summary>
    public static bool IsHeldBy(string link, string ownSocket) =>
        string.Equals(new FileInfo(link).LinkTarget, Path.GetFileName(ownSocket), StringComparison.Ordinal);
}
