using Slipway.Agent.Sync;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Promotion;

namespace Slipway.Agent.Rollbacks;

/// <summary>A rollback the agent made: the commit, and when traffic moved if it moved before the commit.</summary>
/// <param name="SwitchedAt">When all traffic went to the warm revision, ahead of the commit; null when the sync applies the commit as usual.</param>
public sealed record OperatorRollbackResult(RollbackResult Rollback, DateTimeOffset? SwitchedAt);

/// <summary>
/// A rollback an operator asks the agent for (./build.sh Rollback through POST /environments/{env}/rollback, the
/// dashboard's button). It is the CLI's Git commit (<see cref="EnvironmentRollback"/>: a revert of the last deploy, or
/// --to), made from the agent's own clone, and the agent syncs at once. When the rollback returns to the revision kept
/// warm, traffic moves to its replicas first (<see cref="WarmSwitch"/>), as Argo Rollouts' abort does, and the commit
/// follows: the incident ends at the switch, not after a push, a fetch and a sync. The environment's turn
/// (<see cref="EnvironmentGates"/>) is held from the switch until the agent has fetched the commit, so no sync of the
/// older head moves traffic back meanwhile; a commit that fails gives the turn back, and the next sync applies what Git
/// says again.
/// </summary>
public sealed class OperatorRollback(ConfigRepository repository, EnvironmentGates gates, SyncTrigger trigger, StatusBoard board, WarmSwitch? warmSwitch,
    TimeProvider clock, ILogger log)
{
    /// <summary>How long a rollback waits for a sync under way to finish before it goes through Git alone (a progressive rollout holds its turn for minutes).</summary>
    public TimeSpan TurnWait { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long the turn is held after the commit for the agent to fetch it.</summary>
    public TimeSpan FetchWait { get; init; } = TimeSpan.FromSeconds(10);

    public async Task<OperatorRollbackResult> RollBackAsync(string environment, string? to, string run, CancellationToken cancellationToken)
    {
        DateTimeOffset? switchedAt = null;
        var turn = warmSwitch is not null && warmSwitch.HasWarm(environment) ? await gates.TryEnterAsync(environment, TurnWait, cancellationToken) : null;
        try
        {
            if (turn is not null && await warmSwitch!.TrySwitchAsync(environment, to, cancellationToken))
            {
                switchedAt = clock.GetUtcNow();
            }
            else
            {
                // Nothing moved: the sync applies the commit as any other, and need not wait for it.
                turn?.Dispose();
                turn = null;
            }
            var fetchedBefore = board.Head;
            RollbackResult rollback;
            try
            {
                rollback = await new EnvironmentRollback(repository, log).RollBackAsync(environment, run, to, cancellationToken);
            }
            catch (Exception exception) when (switchedAt is not null)
            {
                log.Error("The rollback of {Environment} moved traffic to the warm revision, but its commit failed ({Error}); the next sync applies what Git says",
                    environment, exception.Message);
                throw;
            }
            trigger.Request();
            if (switchedAt is not null && rollback.Commit.Changed)
                await WaitForFetchAsync(fetchedBefore, cancellationToken);
            return new OperatorRollbackResult(rollback, switchedAt);
        }
        finally
        {
            turn?.Dispose();
            trigger.Request();
        }
    }

    /// <summary>Until the pull loop has fetched a head other than <paramref name="before"/> (the rollback's commit, or later), or <see cref="FetchWait"/>.</summary>
    async Task WaitForFetchAsync(string? before, CancellationToken cancellationToken)
    {
        var deadline = clock.GetUtcNow() + FetchWait;
        while (board.Head == before && clock.GetUtcNow() < deadline)
            await Task.Delay(TimeSpan.FromMilliseconds(20), clock, cancellationToken);
    }
}
