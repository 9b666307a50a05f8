using System.Globalization;
using Slipway.Agent.Rollbacks;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Promotion;

namespace Slipway.Agent.Dashboard;

/// <summary>What an action committed to the config repo.</summary>
/// <param name="Changed">False when the config repo already said so (nothing was committed).</param>
public sealed record ActionResult(string Action, string Environment, string Commit, bool Changed, string Message);

/// <summary>
/// The dashboard's actions, each one Git commit made by the same code as the CLI: Approve through
/// <see cref="ApprovalStore.ApproveSourceImageAsync"/> (./build.sh Approve), roll back through <see cref="OperatorRollback"/>
/// (what ./build.sh Rollback asks the agent for). The agent is then asked to sync at once, as the CLI's webhook does.
/// </summary>
public sealed class DashboardActions(DashboardReader reader, ConfigRepository repository, OperatorRollback rollbacks, TimeProvider clock,
    Serilog.ILogger log)
{
    /// <summary>Approves promoting what the environment's promotion source runs (manual approval policy).</summary>
    public async Task<ActionResult> ApproveAsync(string environment, CancellationToken cancellationToken)
    {
        var outcome = await new ApprovalStore(repository, log).ApproveSourceImageAsync(reader.DeployDirectory, environment, from: null, digest: null,
            ApprovalStore.Approver("dashboard"), RunId(), cancellationToken);
        log.Information("Dashboard: approved {Image} for {Environment} (config commit {Sha})", outcome.Approval.Image, environment, outcome.Commit.Sha[..12]);
        return new ActionResult("approve", environment, outcome.Commit.Sha, outcome.Commit.Changed,
            $"approved {outcome.Approval.Image} for {environment}; a waiting promotion proceeds");
    }

    /// <summary>Reverts the environment's last deploy (Slipway-Rollback-Of), as ./build.sh Rollback without --to does.</summary>
    public async Task<ActionResult> RollBackAsync(string environment, CancellationToken cancellationToken)
    {
        var (rollback, _) = await rollbacks.RollBackAsync(environment, to: null, RunId(), cancellationToken);
        log.Information("Dashboard: rolled {Environment} back from {Commit} to {Image} (config commit {Sha})", environment,
            rollback.RolledBackCommit[..12], rollback.PreviousImage, rollback.Commit.Sha[..12]);
        return new ActionResult("rollback", environment, rollback.Commit.Sha, rollback.Commit.Changed,
            $"reverted {rollback.RolledBackCommit[..12]}: {environment} goes back to {rollback.PreviousImage}");
    }

    /// <summary>The run the commit names (Slipway-Run): the dashboard and the minute, as an identifier.</summary>
    string RunId() => "dashboard-" + clock.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
}
