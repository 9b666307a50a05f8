using Slipway.Agent.Backends;
using Slipway.Agent.ConfigRepo;
using Slipway.Agent.Sync;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Promotion;

namespace Slipway.Agent.Rollbacks;

/// <summary>
/// Decides whether a rollback may move traffic before its commit exists, and does it. It may when the commit will hold
/// exactly the files the warm revision's replicas were started from — so the sync that applies it finds them serving and
/// changes nothing — and when the ConfigMap they mount (written in place by the version being left) is theirs too.
/// Everything is read from the agent's mirror as last fetched, in two git processes; the commit itself (made afterwards
/// on a fresh fetch) is what counts, and a commit that turns out otherwise is simply applied by the next sync.
/// </summary>
public sealed class WarmSwitch(ConfigRepoMirror mirror, IEnvironmentBackend backend, StatusBoard board, ILogger log)
{
    /// <summary>Whether the environment keeps a revision warm at all (else there is nothing to switch to, and no need to wait for its turn).</summary>
    public bool HasWarm(string environment) => backend.KeptWarm(environment) is not null;

    /// <summary>Whether <paramref name="head"/>, fetched into the mirror, is <paramref name="commit"/> or comes after it.</summary>
    public Task<bool> FetchedAsync(string commit, string head, CancellationToken cancellationToken) =>
        mirror.IsAncestorAsync(commit, head, cancellationToken);

    /// <summary>True when all of the environment's traffic now goes to the warm revision the rollback returns to.</summary>
    public async Task<bool> TrySwitchAsync(string environment, string? to, CancellationToken cancellationToken)
    {
        // Read again, in the turn: a sync may have replaced the warm revision while the rollback waited for it.
        if (backend.KeptWarm(environment) is not { } warm || !ConfigRepository.IsCommitId(warm.Revision)) return false;
        var head = board.Head;
        var applied = board.Get(environment).AppliedRevision;
        if (head is null || applied is null) return false;
        RollbackTarget target;
        try
        {
            target = await mirror.LocateRollbackAsync(head, environment, to, cancellationToken);
        }
        catch (RollbackRefusedException)
        {
            return false;   // the commit refuses it again, with the reason
        }
        if (target.FilesAt is not { } filesAt) return false;
        var folder = SlipwayMetadata.EnvironmentFolder(environment);
        var configMap = $"{folder}/{SlipwayMetadata.ConfigMapFile}";
        var ids = await mirror.ObjectIdsAsync(
            [$"{filesAt}:{folder}", $"{warm.Revision}:{folder}", $"{head}:{folder}", $"{applied}:{folder}", $"{filesAt}:{configMap}", $"{head}:{configMap}"],
            cancellationToken);
        var returnsToWarm = ids[0] is not null && ids[0] == ids[1];
        var headApplied = ids[2] == ids[3];
        var sameConfigMap = ids[4] == ids[5];
        if (!returnsToWarm || !headApplied || !sameConfigMap)
        {
            log.Information("Rollback of {Environment} goes through Git first: {Reason}", environment,
                !returnsToWarm ? $"it returns to other files than the warm revision's ({warm.Image} from {warm.Revision[..12]})"
                : !headApplied ? "the agent has not applied the newest commit of the environment yet"
                : "its ConfigMap differs from the one the warm replicas mount now");
            return false;
        }
        return await backend.SwitchToWarmAsync(environment, cancellationToken);
    }
}
