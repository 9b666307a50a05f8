using System.Diagnostics;
using Slipway.Delivery.Platform;

namespace Slipway.Delivery.Tests.Platform;

/// <summary>The real host's view of processes, against real processes.</summary>
public sealed class SystemHostTests
{
    [Fact]
    public async Task A_process_is_running_until_it_has_exited_and_a_detached_server_from_the_moment_its_pid_is_returned()
    {
        var host = new SystemHost();
        Assert.True(host.IsRunning(Environment.ProcessId));

        using var finished = Process.Start("true")!;
        await finished.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.False(host.IsRunning(finished.Id));

        // Read at once, while the server may still be exec'ing (its command line is empty for that moment).
        using var root = new TempDirectory();
        var pid = await host.StartDetachedAsync("sleep", ["30"], Path.Combine(root.Path, "sleep.log"), TestContext.Current.CancellationToken);
        try
        {
            Assert.True(host.IsRunning(pid));
        }
        finally
        {
            await host.TerminateAsync(pid, TimeSpan.FromSeconds(5), CancellationToken.None);
        }
        Assert.False(host.IsRunning(pid));
    }
}
