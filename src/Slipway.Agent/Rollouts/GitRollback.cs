using Serilog;
using Slipway.Delivery.ConfigRepo;

namespace Slipway.Agent.Rollouts;

/// <summary>Makes Git agree with the environment again after a failed rollout.</summary>
public interface IRollbackCommitter
{
    /// <summary>
    /// Reverts the commit that last changed environments/&lt;env&gt;/ at <paramref name="failedRevision"/>, with
    /// <c>Slipway-Rollback-Of</c>, unless a newer change to the environment superseded it (then nothing is reverted).
    /// </summary>
    Task<RollbackOutcome> RevertAsync(string environment, string failedRevision, string stableImage, CancellationToken cancellationToken);
}

/// <param name="RevertCommit">The pushed revert; null when nothing was reverted (<see cref="Message"/> says why).</param>
public sealed record RollbackOutcome(string? RevertCommit, string Message);

/// <summary>The config repo side of a rollback, through <see cref="ConfigRepository.RevertAsync"/> (push retried on a race).</summary>
public sealed class GitRollback(ConfigRepository repository, ILogger logger) : IRollbackCommitter
{
    public async Task<RollbackOutcome> RevertAsync(string environment, string failedRevision, string stableImage, CancellationToken cancellationToken)
    {
        var history = await repository.HistoryAsync(environment, cancellationToken);
        if (history.Count == 0) return new RollbackOutcome(null, $"no commit of the config repo changes environments/{environment}/; nothing to revert");
        var latest = history[0];
        // The failed revision's change is still the newest one of the environment: revert it. A newer change supersedes it.
        if (!await repository.ContainsAsync(failedRevision, latest.Sha, cancellationToken))
            return new RollbackOutcome(null, $"environments/{environment}/ changed again after {Short(failedRevision)} (now {Short(latest.Sha)}); that newer change is rolled out next, nothing reverted");
        var reverted = latest.Deployment;
        var trailers = new DeploymentTrailers(
            environment,
            stableImage,
            reverted?.SourceCommit is { Length: > 0 } source ? source : latest.Sha,
            reverted is { } r && r.SourceTime != DateTimeOffset.MinValue ? r.SourceTime : latest.CommitTime,
            reverted?.Run is { Length: > 0 } run ? run : "slipway-agent");
        var result = await repository.RevertAsync(latest.Sha, trailers, cancellationToken);
        logger.Information("Reverted {Commit} in the config repo ({Revert}, {Attempts} push attempt(s)): {Environment} back on {Image}",
            Short(latest.Sha), Short(result.Sha), result.PushAttempts, environment, stableImage);
        return new RollbackOutcome(result.Sha, $"reverted {Short(latest.Sha)} in the config repo as {Short(result.Sha)}");
    }

    static string Short(string sha) => sha.Length > 12 ? sha[..12] : sha;
}
