using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.FileProviders.Physical;

namespace Beacon.Tests.Support;

/// <summary>
/// Beacon polls its config directory (PhysicalFileProvider with active polling, needed for bind mounts and
/// Kubernetes' symlink swaps) at the framework's fixed interval of 4 s. A reload test waits for at least one poll per
/// change, so at that interval the reload tests alone took most of this assembly's run. The interval is an internal
/// static field of <see cref="PhysicalFilesWatcher"/> with no public setting; for this test process only it is set to
/// 100 ms before any host starts. The reload path under test is the same, only polled more often; tests still wait for
/// the change itself (Eventually.Until), never for a fixed time. Should a runtime rename the field, nothing breaks:
/// the reload tests then wait the full 4 s per change again.
/// </summary>
static class FastConfigPolling
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    [ModuleInitializer]
    internal static void Apply() =>
        typeof(PhysicalFilesWatcher)
            .GetField("DefaultPollingInterval", BindingFlags.NonPublic | BindingFlags.Static)?
            .SetValue(null, Interval);
}
