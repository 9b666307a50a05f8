using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Beacon.Tests.Support;

/// <summary>The POSIX calls .NET does not expose: an atomic rename over a symlink, and sending a signal.</summary>
public static class Posix
{
    public const int SIGTERM = 15;

    [DllImport("libc", SetLastError = true)]
    static extern int rename([MarshalAs(UnmanagedType.LPUTF8Str)] string oldPath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);

    public static void Rename(string from, string to)
    {
        if (rename(from, to) != 0)
            throw new Win32Exception(Marshal.GetLastPInvokeError(), $"rename {from} -> {to}");
    }

    public static void Signal(int pid, int signal)
    {
        if (kill(pid, signal) != 0)
            throw new Win32Exception(Marshal.GetLastPInvokeError(), $"kill -{signal} {pid}");
    }
}
