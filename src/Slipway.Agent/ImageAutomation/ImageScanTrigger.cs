using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Slipway.Agent.ImageAutomation;

/// <summary>
/// Wakes the image automation loop before its interval (the registry webhook), for the environments named. Requests
/// that arrive while a scan runs collapse into one more scan of every environment they named.
/// </summary>
public sealed class ImageScanTrigger
{
    readonly Channel<bool> signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    readonly ConcurrentDictionary<string, byte> pending = new(StringComparer.Ordinal);

    public void Request(IEnumerable<string> environments)
    {
        foreach (var environment in environments) pending[environment] = 0;
        signal.Writer.TryWrite(true);
    }

    /// <summary>Waits for a request or the interval; returns the environments requested, or null when the interval elapsed (scan all).</summary>
    public async Task<IReadOnlySet<string>?> WaitAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(interval);
        try
        {
            await signal.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            pending.Clear();   // every environment is scanned now anyway
            return null;
        }
        var requested = new HashSet<string>(StringComparer.Ordinal);
        foreach (var environment in pending.Keys)
            if (pending.TryRemove(environment, out _)) requested.Add(environment);
        return requested;
    }
}
