using CliWrap;
using CliWrap.Buffered;

namespace Slipway.Testing;

/// <summary>
/// Debian's chromium for the browser tests: found at /usr/bin/chromium, or installed with apt when the tests run as root
/// (as CI does on a fresh machine). The browser tests call it before they start one.
/// </summary>
public static class DebianChromium
{
    public const string Executable = "/usr/bin/chromium";
    static readonly SemaphoreSlim Installing = new(1, 1);

    /// <summary>Null when chromium is there (installed now if need be); otherwise why not, with the fix.</summary>
    public static async Task<string?> EnsureInstalledAsync(CancellationToken cancellationToken)
    {
        if (File.Exists(Executable)) return null;
        await Installing.WaitAsync(cancellationToken);
        try
        {
            if (File.Exists(Executable)) return null;
            var uid = await Cli.Wrap("id").WithArguments("-u").WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken);
            if (uid.StandardOutput.Trim() != "0" || !File.Exists("/usr/bin/apt-get"))
                return "chromium is not installed and these tests cannot install it (apt-get as root is needed): run `apt-get install -y chromium`";
            // Without recommends: they bring daemons (avahi, udev...) whose postinst starts them, and a daemon that inherits
            // our output pipe keeps it open for ever. apt writes to a file for the same reason, bounded in time.
            var log = Path.Combine(Path.GetTempPath(), $"slipway-apt-chromium-{Guid.NewGuid():N}.log");
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(TimeSpan.FromMinutes(5));
            var install = await Cli.Wrap("/bin/sh")
                .WithArguments(["-c", "exec apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=120 chromium fonts-liberation >\"$0\" 2>&1 </dev/null", log])
                .WithEnvironmentVariables(new Dictionary<string, string?> { ["DEBIAN_FRONTEND"] = "noninteractive" })
                .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(bounded.Token);
            var output = File.Exists(log) ? await File.ReadAllTextAsync(log, cancellationToken) : "";
            File.Delete(log);
            return install.ExitCode == 0 && File.Exists(Executable)
                ? null
                : $"chromium could not be installed with apt-get (exit {install.ExitCode}): {string.Join('\n', output.Split('\n').TakeLast(8))}";
        }
        finally
        {
            Installing.Release();
        }
    }
}
