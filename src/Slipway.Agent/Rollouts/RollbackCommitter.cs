using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Git;

namespace Slipway.Agent.Rollouts;

/// <summary>The revert pushed after a failed rollout (or why none was pushed).</summary>
/// <param name="RevertSha">The revert commit, null when none was pushed.</param>
/// <param name="PushFailed">The revert was needed but could not be pushed (worth trying again), as opposed to not needed.</param>
public sealed record RollbackOutcome(string? RevertSha, string Message, bool PushFailed = false);

/// <summary>
/// Makes Git agree with what runs after a failed rollout: reverts the commit that last changed
/// <c>environments/&lt;env&gt;/</c> at the failed revision, with the trailers of a deployment of the stable image and
/// <c>Slipway-Rollback-Of</c> (<see cref="ConfigRepository.RevertAsync"/>). When the environment changed again in Git
/// since the failed revision, nothing is reverted: the newer desired state supersedes it.
/// </summary>
public interface IRollbackCommitter
{
    /// <summary>
    /// Reverts the commit that last changed environments/&lt;env&gt;/ at <paramref name="failedRevision"/>, with
    /// <c>Slipway-Rollback-Of</c>, unless a newer change to the environment superseded it (then nothing is reverted).
    /// </summary>
    Task<RollbackOutcome> RevertAsync(string environment, string failedRevision, string stableImage, CancellationToken cancellationToken);
}

public sealed class RollbackCommitter(ConfigRepository repository, string agentInstance, ILogger log) : IRollbackCommitter
{
    public async Task<RollbackOutcome> RevertAsync(string environment, string failedRevision, string stableImage, CancellationToken cancellationToken)
    {
        try
        {
            var history = await repository.HistoryAsync(environment, cancellationToken);
            if (history.Count == 0)
                return new RollbackOutcome(null, $"no commit changed environments/{environment}/ in the config repo; nothing to revert");
            var latest = history[0];
            if (!await repository.ContainsAsync(failedRevision, latest.Sha, cancellationToken))
                return new RollbackOutcome(null, $"environments/{environment}/ changed in Git after {Short(failedRevision)} (now {Short(latest.Sha)}); " +
                                                 "that newer revision is applied next, nothing reverted");
            var reverted = latest.Deployment;
            var trailers = new DeploymentTrailers(
                environment,
                stableImage,
                reverted?.SourceCommit is { Length: > 0 } source ? source : latest.Sha,
                reverted is { SourceTime: var time } && time != DateTimeOffset.MinValue ? time : latest.CommitTime,
                reverted?.Run is { Length: > 0 } run ? run : $"agent-{agentInstance}");
            var result = await repository.RevertAsync(latest.Sha, trailers, cancellationToken);
            log.Information("Reverted {Commit} in the config repo with {Revert} (Slipway-Rollback-Of)", Short(latest.Sha), Short(result.Sha));
            return new RollbackOutcome(result.Sha, $"reverted {Short(latest.Sha)} with {Short(result.Sha)}");
        }
        catch (Exception exception) when (exception is GitException or ArgumentException or IOException or TimeoutException)
        {
            log.Error("Reverting {Revision} in the config repo failed: {Error}", Short(failedRevision), exception.Message);
            return new RollbackOutcome(null, $"the revert could not be pushed ({exception.Message}); Git still names the failed version — " +
                                             "give the agent write access (--config-repo-token) or revert by hand", PushFailed: true);
        }
    }

    static string Short(string sha) => sha.Length > 12 ? sha[..12] : sha;
}
