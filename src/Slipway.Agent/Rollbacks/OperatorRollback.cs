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
/// says again. Otherwise the version it returns to is checked and its replicas started meanwhile
/// (<see cref="RollbackHeadStart"/>), so the sync that applies the commit waits for them rather than starting them then.
/// </summary>
public sealed class OperatorRollback(ConfigRepository repository, EnvironmentGates gates, SyncTrigger trigger, StatusBoard board, WarmSwitch? warmSwitch,
    TimeProvider clock, ILogger log, RollbackHeadStart? headStart = null)
{
    /// <summary>How long a rollback waits for a sync under way to finish before it goes through Git alone (a progressive rollout holds its turn for minutes).</summary>
    public TimeSpan TurnWait { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long the turn is held after the commit for the agent to fetch it.</summary>
    public TimeSpan FetchWait { get; init; } = TimeSpan.FromSeconds(10);

    public async Task<OperatorRollbackResult> RollBackAsync(string environment, string? to, string run, CancellationToken cancellationToken)
    {
        log.Information("Rollback of {Environment} asked{To}", environment, to is null ? "" : $" (to {to})");
        DateTimeOffset? switchedAt = null;
        var turn = warmSwitch is not null && warmSwitch.HasWarm(environment) ? await gates.TryEnterAsync(environment, TurnWait, cancellationToken) : null;
        try
        {
            if (turn is not null && await TrySwitchAsync(environment, to, cancellationToken))
            {
                switchedAt = clock.GetUtcNow();
            }
            else
            {
                // Nothing moved: the sync applies the commit as any other, and need not wait for it.
                turn?.Dispose();
                turn = null;
                // Beside the commit, not before it; it never throws, and what it checked and started the sync adopts.
                _ = headStart?.StartAsync(environment, to, cancellationToken);
            }
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
                await WaitForFetchAsync(rollback.Commit.Sha, cancellationToken);
            return new OperatorRollbackResult(rollback, switchedAt);
        }
        catch
        {
            // No commit: the sync applies Git's revision again at once (traffic moves back if it moved).
            trigger.Request();
            throw;
        }
        finally
        {
            turn?.Dispose();
        }
    }

    /// <summary>Whether traffic moved ahead of the commit; a failure there (the mirror unreadable) only means the commit goes first.</summary>
    async Task<bool> TrySwitchAsync(string environment, string? to, CancellationToken cancellationToken)
    {
        try
        {
            return await warmSwitch!.TrySwitchAsync(environment, to, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            log.Warning("No switch ahead of {Environment}'s rollback commit: {Error}", environment, exception.Message);
            return false;
        }
    }

    /// <summary>Until the pull loop has fetched <paramref name="commit"/> (its head is it or comes after it), or <see cref="FetchWait"/>.</summary>
    async Task WaitForFetchAsync(string commit, CancellationToken cancellationToken)
    {
        var deadline = clock.GetUtcNow() + FetchWait;
        string? checkedHead = null;
        while (clock.GetUtcNow() < deadline)
        {
            var head = board.Head;
            if (head == commit) return;
            if (head is not null && head != checkedHead)
            {
                checkedHead = head;
                if (await warmSwitch!.FetchedAsync(commit, head, cancellationToken)) return;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(20), clock, cancellationToken);
        }
    }
}
