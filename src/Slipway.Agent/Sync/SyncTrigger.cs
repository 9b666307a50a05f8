using System.Threading.Channels;

namespace Slipway.Agent.Sync;

/// <summary>Wakes the pull loop before its interval is up (the webhook). Several requests while a sync runs collapse into one more sync.</summary>
public sealed class SyncTrigger
{
    readonly Channel<bool> requests = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Request() => requests.Writer.TryWrite(true);

    /// <summary>Waits for a request or the interval, whichever comes first; true when requested.</summary>
    public async Task<bool> WaitAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(interval);
        try
        {
            await requests.Reader.ReadAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
