using Slipway.Agent.Sync;

namespace Slipway.Agent.Rollbacks;

/// <summary>
/// Once after the agent starts, as soon as the pull loop has applied an environment, checks what a rollback of each
/// would return to (<see cref="RollbackHeadStart.PrepareAsync"/>): the signature verdict is then cached for the first
/// rollback after a crash or an upgrade, as for any later one.
/// </summary>
public sealed class RollbackTargetsPrepared(RollbackHeadStart headStart, StatusBoard board, AgentOptions options, TimeProvider clock) : BackgroundService
{
    static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Each after its first sync, not beside it: the check is no use before, and would slow the agent's start.
            var waiting = options.Environments.ToList();
            while (waiting.Count > 0)
            {
                foreach (var environment in waiting.Where(e => board.Head is not null && board.Get(e).AppliedRevision is not null).ToList())
                {
                    await headStart.PrepareAsync(environment, stoppingToken);
                    waiting.Remove(environment);
                }
                if (waiting.Count > 0) await Task.Delay(Poll, clock, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
