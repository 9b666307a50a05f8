using System.Collections.Concurrent;
using System.Threading.Channels;
using Slipway.Agent.Sync;

namespace Slipway.Agent.Dashboard;

/// <summary>
/// The in-process broadcaster behind the dashboard's server-sent events: every <see cref="StatusBoard"/> update (a sync,
/// a rollout step, an analysis window) is fanned out to each subscribed browser as the name of the environment that changed.
/// </summary>
public sealed class StatusFeed : IDisposable
{
    // A browser that stops reading loses its oldest notices, never the agent's memory; any later notice re-reads the latest state.
    const int NoticesPerSubscriber = 256;

    readonly StatusBoard board;
    readonly ConcurrentDictionary<Channel<string>, byte> subscribers = new();

    public StatusFeed(StatusBoard board)
    {
        this.board = board;
        board.Changed += Publish;
    }

    /// <summary>Starts listening at once (so nothing between a snapshot and the first notice is missed); dispose to stop.</summary>
    public StatusSubscription Subscribe()
    {
        var channel = Channel.CreateBounded<string>(new BoundedChannelOptions(NoticesPerSubscriber)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        subscribers[channel] = 0;
        return new StatusSubscription(channel.Reader, () => subscribers.TryRemove(channel, out _));
    }

    public int Subscribers => subscribers.Count;

    void Publish(string environment)
    {
        foreach (var channel in subscribers.Keys) channel.Writer.TryWrite(environment);
    }

    public void Dispose() => board.Changed -= Publish;
}

/// <summary>One listener of <see cref="StatusFeed"/>: the names of the environments that changed since it subscribed.</summary>
public sealed class StatusSubscription(ChannelReader<string> changes, Action unsubscribe) : IDisposable
{
    public IAsyncEnumerable<string> ReadAllAsync(CancellationToken cancellationToken) => changes.ReadAllAsync(cancellationToken);

    public void Dispose() => unsubscribe();
}
