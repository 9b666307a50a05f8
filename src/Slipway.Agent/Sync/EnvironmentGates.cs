using System.Collections.Concurrent;

namespace Slipway.Agent.Sync;

/// <summary>
/// One change at a time per environment: the sync that applies a revision, or an operator's rollback that moves traffic
/// ahead of its commit (<see cref="Rollbacks.OperatorRollback"/>). A sync reads the head it applies only once inside,
/// so it never applies a head older than what a rollback it waited for left behind.
/// </summary>
public sealed class EnvironmentGates
{
    readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);

    /// <summary>Waits for the environment's turn; disposing the result gives it back.</summary>
    public async Task<IDisposable> EnterAsync(string environment, CancellationToken cancellationToken)
    {
        var gate = Gate(environment);
        await gate.WaitAsync(cancellationToken);
        return new Turn(gate);
    }

    /// <summary>The environment's turn if it comes within <paramref name="wait"/>; null when something holds it longer (a progressive rollout).</summary>
    public async Task<IDisposable?> TryEnterAsync(string environment, TimeSpan wait, CancellationToken cancellationToken)
    {
        var gate = Gate(environment);
        return await gate.WaitAsync(wait, cancellationToken) ? new Turn(gate) : null;
    }

    SemaphoreSlim Gate(string environment) => gates.GetOrAdd(environment, _ => new SemaphoreSlim(1, 1));

    sealed class Turn(SemaphoreSlim gate) : IDisposable
    {
        int given;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref given, 1) == 0) gate.Release();
        }
    }
}
