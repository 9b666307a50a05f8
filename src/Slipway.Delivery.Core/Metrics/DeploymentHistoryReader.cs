using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.Metrics;

/// <summary>
/// Reads an environment's deployment events from the config repo's history (commits under environments/&lt;env&gt;/ with
/// Slipway trailers) and credits source commits from the service's repository.
/// <para>Rules (the README states them for users):</para>
/// <list type="bullet">
/// <item>Slipway-Rollback-Of naming a deployment makes a <see cref="DeploymentKind.Rollback"/>; naming a rollback makes a
/// <see cref="DeploymentKind.Redeploy"/> (a rollback of a rollback puts the removed version back: a deployment again).</item>
/// <item>A deploy credits every source commit in (source commit live before it)..(its source commit) that no earlier event
/// credited; the environment's first deploy credits its head commit only (nothing says what ran before it).
/// Rollbacks and redeploys credit nothing. Without the source repository, or when a commit is missing from it
/// (shallow clone), a deploy credits its head commit with the time in Slipway-Source-Time.</item>
/// </list>
/// </summary>
public sealed class DeploymentHistoryReader(ConfigRepository configRepository, SourceRepository? sourceRepository, Serilog.ILogger log)
{
    private readonly Serilog.ILogger log = log.ForContext<DeploymentHistoryReader>();

    public async Task<DeploymentHistory> ReadAsync(string environment, CancellationToken cancellationToken = default)
    {
        EnvironmentName.Require(environment);
        var commits = await configRepository.HistoryAsync(environment, cancellationToken);
        // A feature flag switched with SetFlag releases nothing new (same image, same source): not a deployment.
        var ordered = commits.Reverse()
            .Where(commit => commit.Deployment?.Environment == environment && !commit.Trailers.ContainsKey(FlagCommitter.FlagTrailerKey))
            .ToList();
        var skipped = commits.Count(commit => commit.Deployment is { } deployment && deployment.Environment != environment);
        if (skipped > 0) log.Warning("{Count} commit(s) under environments/{Environment:l}/ name another environment in their trailers; left out", skipped, environment);
        return await FromCommitsAsync(environment, ordered, sourceRepository, log, cancellationToken);
    }

    /// <summary>Turns config commits (oldest first, Slipway trailers present) into events; separate from git for testing.</summary>
    public static async Task<DeploymentHistory> FromCommitsAsync(string environment, IReadOnlyList<ConfigCommit> commits,
        SourceRepository? sourceRepository, Serilog.ILogger log, CancellationToken cancellationToken = default)
    {
        var events = new List<DeploymentEvent>();
        var crediting = new SourceCrediting(sourceRepository, log);
        foreach (var commit in commits)
        {
            var trailers = commit.Deployment ?? throw new ArgumentException($"config commit {commit.Sha} carries no Slipway trailers", nameof(commits));
            var kind = DeploymentKind.Deploy;
            if (trailers.RollbackOf is { } target)
            {
                var reverted = events.LastOrDefault(previous => previous.IsNamedBy(target));
                kind = reverted?.Kind == DeploymentKind.Rollback ? DeploymentKind.Redeploy : DeploymentKind.Rollback;
                if (reverted is null) log.Warning("Rollback {Sha:l} reverts {Target:l}, which is no deployment of {Environment:l}; counted as a rollback",
                    commit.Sha[..12], target, environment);
            }

            var changes = kind == DeploymentKind.Deploy
                ? await crediting.CreditAsync(events.Count > 0 ? events[^1].SourceCommit : null, trailers.SourceCommit, trailers.SourceTime, cancellationToken)
                : [];

            events.Add(new DeploymentEvent(commit.Sha, commit.CommitTime, kind, trailers.Image, trailers.SourceCommit, trailers.SourceTime,
                trailers.Run, trailers.RollbackOf, ChangeTrailers.IsFix(commit.Trailers), ChangeTrailers.FixOf(commit.Trailers), changes));
        }
        return new DeploymentHistory(environment, events);
    }
}
