using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.GitHub;
using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.Metrics;

/// <summary>
/// Reads an environment's deployment events from GitHub Deployments (of the config repo on GitHub) instead of the config
/// repo's history, into the same <see cref="DeploymentHistory"/> the calculator takes.
/// <para>Rules (the README states them for users):</para>
/// <list type="bullet">
/// <item>The deploy's time is its first success status (when it went live), else its creation time.</item>
/// <item>A deployment whose payload has <c>rollback_of</c> is a <see cref="DeploymentKind.Rollback"/> restoring service from
/// the deployment whose commit (or ref) it names — a <see cref="DeploymentKind.Redeploy"/> when that one was itself a rollback.
/// A successful deployment later named by a rollback is a failed change (the calculator's rule, as for Git).</item>
/// <item>A deployment whose newest status is failure or error is a failed deployment (<see cref="DeploymentEvent.Failed"/>):
/// counted as a deployment and as a failure, restored by the next deployment or rollback that worked. It credits no source
/// commits: they reach the environment with the next deploy that works, which credits them.</item>
/// <item>A deployment that neither succeeded nor failed (queued, pending, in progress, or inactive without a success) has no
/// known outcome and is left out (logged).</item>
/// <item>Source commit and time: Slipway's payload (<c>source_commit</c>, <c>source_time</c>). A deployment without it (made by
/// another tool) uses its <c>sha</c> as the source commit, timed by the source repository's committer time when the clone
/// has that commit, else by the deployment's <c>created_at</c> — a lower bound: its lead time is then only the deploy's own
/// duration.</item>
/// <item>Crediting as for Git: a deploy that worked credits every source commit in (source commit live before it)..(its source
/// commit) not credited before, when the source repository has both; the first deploy read credits its head commit only.</item>
/// <item>Fixes: the payload's <c>change_type</c> and <c>fix_of</c> (Slipway copies them from the deploy's
/// <c>Slipway-Change-Type</c> / <c>Slipway-Fix-Of</c> trailers) mark a fix as the trailers do; other tools' deployments carry
/// neither, so they count as planned work.</item>
/// </list>
/// </summary>
public sealed class GitHubDeploymentHistoryReader(IGitHubClient client, GitHubRepository repository, SourceRepository? sourceRepository, Serilog.ILogger log)
{
    /// <summary>
    /// How many of the newest deployments are listed at most (3 pages of 100): a 90-day window at three deploys a day.
    /// Statuses (one request each) are read only for those inside the window, and the one live when it began.
    /// </summary>
    public const int DefaultMaxDeployments = 300;

    private readonly Serilog.ILogger log = log.ForContext<GitHubDeploymentHistoryReader>();

    /// <summary>
    /// The deployments to <paramref name="environment"/> created inside <paramref name="window"/> (of the newest
    /// <paramref name="maxDeployments"/>), and before them those back to the last one that succeeded — what was live when the
    /// window began, the base for crediting source commits and the target of rollbacks early in the window.
    /// </summary>
    public async Task<DeploymentHistory> ReadAsync(string environment, DoraWindow window, int maxDeployments = DefaultMaxDeployments,
        CancellationToken cancellationToken = default)
    {
        EnvironmentName.Require(environment);
        ArgumentNullException.ThrowIfNull(window);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDeployments, 1);
        var listed = await client.GetDeploymentsAsync(repository, environment, maxDeployments, cancellationToken);
        var snapshots = new List<GitHubDeploymentSnapshot>();
        foreach (var deployment in listed.OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Id))
        {
            var statuses = await client.GetDeploymentStatusesAsync(repository, deployment.Id, cancellationToken);
            var snapshot = GitHubDeploymentSnapshot.From(deployment, statuses);
            snapshots.Add(snapshot);
            if (deployment.CreatedAt < window.Start && snapshot.Record.Succeeded && !snapshot.Failed) break;
        }
        if (listed.Count >= maxDeployments && listed.Min(d => d.CreatedAt) >= window.Start)
            log.Warning("The newest {Max} GitHub deployments to {Environment:l} all lie inside the window: older ones in it are not counted " +
                        "(the figures start at {Oldest:u})", maxDeployments, environment, listed.Min(d => d.CreatedAt).ToUniversalTime());
        log.Information("Read {Count} of {Listed} GitHub deployment(s) to {Environment:l} from {Repository} (the window and the one live before it)",
            snapshots.Count, listed.Count, environment, repository);
        return await FromSnapshotsAsync(environment, snapshots, sourceRepository, log, cancellationToken);
    }

    /// <summary>Turns GitHub deployments (any order) into events, oldest first; separate from the API for testing.</summary>
    public static async Task<DeploymentHistory> FromSnapshotsAsync(string environment, IReadOnlyList<GitHubDeploymentSnapshot> deployments,
        SourceRepository? sourceRepository, Serilog.ILogger log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deployments);
        var events = new List<DeploymentEvent>();
        var refs = new List<string>();
        var crediting = new SourceCrediting(sourceRepository, log);
        string? liveSource = null;
        var unknownOutcome = 0;
        var withoutPayload = 0;
        foreach (var deployment in deployments.OrderBy(d => d.Record.CreatedAt).ThenBy(d => d.Record.Id))
        {
            var record = deployment.Record;
            if (deployment.OutcomeUnknown)
            {
                unknownOutcome++;
                continue;
            }
            var sha = record.Sha is { Length: > 0 } resolved ? resolved : record.Ref is { Length: > 0 } reference ? reference : $"github-deployment-{record.Id}";

            var kind = DeploymentKind.Deploy;
            var rollbackOf = deployment.RollbackOf;
            if (rollbackOf is not null)
            {
                var index = LastNamedBy(events, refs, rollbackOf);
                kind = index >= 0 && events[index].Kind == DeploymentKind.Rollback ? DeploymentKind.Redeploy : DeploymentKind.Rollback;
                if (index >= 0) rollbackOf = events[index].Sha; // the calculator finds the target by its commit
                else log.Warning("GitHub deployment {Id} rolls back {Target:l}, which is no deployment of {Environment:l} read; counted as a rollback",
                    record.Id, rollbackOf, environment);
            }

            var sourceCommit = deployment.HasSlipwayPayload ? record.SourceCommit! : sha;
            var sourceTime = record.SourceTime;
            if (!deployment.HasSlipwayPayload)
            {
                withoutPayload++;
                if (sourceRepository is not null) sourceTime = (await sourceRepository.CommitAsync(sourceCommit, cancellationToken))?.Time;
            }
            sourceTime ??= record.CreatedAt;

            var changes = kind == DeploymentKind.Deploy && !deployment.Failed
                ? await crediting.CreditAsync(liveSource, sourceCommit, sourceTime.Value, cancellationToken)
                : [];
            // What runs after an event that worked is its source; a failed one left the previous version in place.
            if (!deployment.Failed) liveSource = sourceCommit;

            events.Add(new DeploymentEvent(sha, deployment.Time, kind, record.Image ?? "", sourceCommit, sourceTime.Value, deployment.Run ?? "",
                rollbackOf, ChangeTrailers.IsFix(deployment.ChangeTrailerValues), ChangeTrailers.FixOf(deployment.ChangeTrailerValues), changes, deployment.Failed));
            refs.Add(record.Ref);
        }
        if (unknownOutcome > 0)
            log.Information("{Count} GitHub deployment(s) to {Environment:l} neither succeeded nor failed (queued, pending, in progress): left out",
                unknownOutcome, environment);
        if (withoutPayload > 0)
            log.Information("{Count} GitHub deployment(s) to {Environment:l} carry no Slipway payload: their sha is taken as the source commit, " +
                            "timed by the source repository or else by the deployment's creation", withoutPayload, environment);
        return new DeploymentHistory(environment, events.OrderBy(e => e.Time).ToList(), DoraSource.GitHub);
    }

    /// <summary>The newest event before now whose commit starts with, or whose ref equals, <paramref name="target"/>; -1 if none.</summary>
    private static int LastNamedBy(List<DeploymentEvent> events, List<string> refs, string target)
    {
        for (var index = events.Count - 1; index >= 0; index--)
            if (events[index].IsNamedBy(target) || string.Equals(refs[index], target, StringComparison.Ordinal)) return index;
        return -1;
    }
}
