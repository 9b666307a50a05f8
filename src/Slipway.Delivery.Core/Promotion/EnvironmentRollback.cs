using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Git;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Oci;

namespace Slipway.Delivery.Promotion;

/// <summary>A rollback in the config repo: the commit made, the deploy it undid, and the image the environment goes back to.</summary>
/// <param name="RolledBackCommit">The deploy undone (Slipway-Rollback-Of).</param>
/// <param name="PreviousImage">What the environment runs after the rollback.</param>
public sealed record RollbackResult(string Environment, CommitResult Commit, string RolledBackCommit, string PreviousImage, string? ReplacedImage);

/// <summary>
/// Rolls an environment back through Git. Without a target: reverts the environment's last deploy (the newest commit that
/// changed environments/&lt;env&gt;/ and is neither a rollback nor already rolled back) with <see cref="ConfigRepository.RevertAsync"/>.
/// With a target (a config revision, or a digest the environment ran before): commits that revision's files as a rollback
/// of the environment's newest commit. Both carry Slipway-Rollback-Of, so DORA counts them.
/// </summary>
public sealed class EnvironmentRollback(ConfigRepository repository, Serilog.ILogger log)
{
    public async Task<RollbackResult> RollBackAsync(string environment, string run, string? to = null, CancellationToken cancellationToken = default)
    {
        var history = await repository.HistoryAsync(environment, cancellationToken);
        var target = Locate(environment, to, history);
        return target.Source is null
            ? await RevertLastDeployAsync(environment, run, target.Undone, history, cancellationToken)
            : await RestoreAsync(environment, run, target.Source, history, cancellationToken);
    }

    /// <summary>
    /// What a rollback of <paramref name="environment"/> returns to, found in its <paramref name="history"/> (newest first,
    /// as <see cref="ConfigRepository.HistoryAsync"/> lists it) without reading a file: the rules of <see cref="RollBackAsync"/>.
    /// </summary>
    /// <exception cref="RollbackRefusedException">Nothing to roll back, or <paramref name="to"/> names nothing the environment ran.</exception>
    public static RollbackTarget Locate(string environment, string? to, IReadOnlyList<ConfigCommit> history)
    {
        EnvironmentName.Require(environment);
        if (history.Count == 0)
            throw new RollbackRefusedException($"{environment} has never been deployed (no commit changed environments/{environment}/); nothing to roll back.");
        if (to is not null)
        {
            var source = ResolveTarget(environment, to, history);
            return new RollbackTarget(history[0], source, FilesAt: source.Sha);
        }
        var undone = history.Select(c => c.Deployment?.RollbackOf).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        var last = history.FirstOrDefault(c => c.Deployment is { RollbackOf: null } && !undone.Contains(c.Sha))
                   ?? throw new RollbackRefusedException(
                       $"every deploy of {environment} in the config repo is already rolled back; nothing left to revert. " +
                       $"Fix: roll forward with ./build.sh Deploy --environment {environment}, or pick a revision: --to <config revision | digest>.");
        // Reverting the environment's newest commit gives its folder back as it was before that commit; reverting an
        // older one keeps what later commits changed, a mix that never ran.
        return new RollbackTarget(last, Source: null, FilesAt: last.Sha == history[0].Sha ? last.Sha + "^" : null);
    }

    private async Task<RollbackResult> RevertLastDeployAsync(string environment, string run, ConfigCommit last, IReadOnlyList<ConfigCommit> history,
        CancellationToken cancellationToken)
    {
        var previousImage = await repository.ReadImageAsync(environment, last.Sha + "^", cancellationToken)
                            ?? throw new RollbackRefusedException(
                                $"{last.Sha[..12]} is {environment}'s first deploy: before it the environment ran nothing, so there is no earlier version to return to. " +
                                $"Fix: deploy a good version: ./build.sh Deploy --environment {environment}.");
        var current = await CurrentImageAsync(environment, history, cancellationToken);
        var origin = last.Deployment!;
        log.Information("Rolling {Environment} back: reverting {Sha} ({Image}), back to {Previous}", environment, last.Sha[..12], origin.Image, previousImage);
        var trailers = new DeploymentTrailers(environment, previousImage, origin.SourceCommit, origin.SourceTime, run);
        // The history above has just fetched: no second fetch before the commit (a push that loses a race retries).
        var commit = await repository.RevertAsync(last.Sha, trailers, cancellationToken, fetchFirst: false);
        return new RollbackResult(environment, commit, last.Sha, previousImage, current);
    }

    private async Task<RollbackResult> RestoreAsync(string environment, string run, ConfigCommit source, IReadOnlyList<ConfigCommit> history,
        CancellationToken cancellationToken)
    {
        var image = await repository.ReadImageAsync(environment, source.Sha, cancellationToken)
                    ?? throw new RollbackRefusedException($"{environment} had no files at {source.Sha[..12]}; pick a revision where it ran (./build.sh Rollback --environment {environment} --to <revision>).");
        var newest = history[0];
        var current = await CurrentImageAsync(environment, history, cancellationToken);
        var origin = source.Deployment;
        var trailers = new DeploymentTrailers(environment, image, origin?.SourceCommit ?? source.Sha, origin?.SourceTime ?? source.CommitTime, run, RollbackOf: newest.Sha);
        var folder = SlipwayMetadata.EnvironmentFolder(environment);
        var message = $"Roll back {environment} to {source.Sha[..12]}\n\nRestores {folder}/ as of {source.Sha} ({image}).\n\n" +
                      string.Join('\n', trailers.ToLines()) + "\n";
        var git = new GitCli(null, "", repository.Options.AuthorName, repository.Options.AuthorEmail, log);
        log.Information("Rolling {Environment} back to {Sha} ({Image})", environment, source.Sha[..12], image);
        // No pathspec: the restore stages the folder itself (one git process fewer before the commit).
        var commit = await repository.CommitAsync(null, async (work, token) =>
        {
            // Exactly that revision's files, a file it did not have removed (restore's no-overlay mode), in one git
            // process: what ran then is what runs again.
            await git.RunCheckedAsync(work, ["restore", $"--source={source.Sha}", "--staged", "--worktree", "--", folder], cancellationToken: token);
        }, message, cancellationToken, fetchFirst: false);
        if (!commit.Changed)
            log.Information("{Environment} already has the files of {Sha}: nothing to roll back", environment, source.Sha[..12]);
        return new RollbackResult(environment, commit, newest.Sha, image, current);
    }

    /// <summary>
    /// What the environment runs now: its files at the newest commit that changed them, which the history just fetched
    /// names (read by commit id, without another fetch).
    /// </summary>
    private Task<string?> CurrentImageAsync(string environment, IReadOnlyList<ConfigCommit> history, CancellationToken cancellationToken) =>
        repository.ReadImageAsync(environment, history[0].Sha, cancellationToken);

    /// <summary>A digest (sha256:… or repository@sha256:…): the newest deploy of it; otherwise a config revision of the environment's history.</summary>
    private static ConfigCommit ResolveTarget(string environment, string to, IReadOnlyList<ConfigCommit> history)
    {
        if (to.Contains("sha256:", StringComparison.Ordinal))
        {
            var digest = ImageDigest.Of(to);
            return history.FirstOrDefault(c => c.Deployment is { } d && ImageDigest.Of(d.Image) == digest)
                   ?? throw new RollbackRefusedException(
                       $"{environment} never ran {to} according to the config repo; roll back to an image it ran " +
                       $"({string.Join(", ", history.Select(c => c.Deployment?.Image).OfType<string>().Distinct().Take(5))}) or to a revision.");
        }
        var matches = history.Where(c => c.Sha.StartsWith(to, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new RollbackRefusedException(
                $"'{to}' is no config revision that changed {environment} (nor a digest). Fix: pick one from " +
                $"git log -- environments/{environment}/ (newest: {string.Join(", ", history.Take(5).Select(c => c.Sha[..12]))})."),
            _ => throw new RollbackRefusedException($"'{to}' matches {matches.Count} revisions of {environment}; give more hex digits."),
        };
    }
}

/// <summary>What a rollback returns an environment to (<see cref="EnvironmentRollback.Locate"/>).</summary>
/// <param name="Undone">A revert: the deploy it reverts. A restore: the environment's newest commit, which it rolls back (Slipway-Rollback-Of).</param>
/// <param name="Source">A restore (--to): the revision whose files come back; null for a revert.</param>
/// <param name="FilesAt">The revision whose environment folder the rollback commit holds exactly; null when only the commit
/// tells (a revert of a deploy that later commits to the folder followed).</param>
public sealed record RollbackTarget(ConfigCommit Undone, ConfigCommit? Source, string? FilesAt);

/// <summary>A rollback that cannot be made; nothing was committed. The message names the fix.</summary>
public sealed class RollbackRefusedException(string message) : Exception(message);
