using Slipway.Agent.Backends;
using Slipway.Agent.ConfigRepo;
using Slipway.Agent.Sync;
using Slipway.Agent.Verification;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Promotion;

namespace Slipway.Agent.Rollbacks;

/// <summary>
/// What a rollback with nothing warm to switch to does while its commit is being made: it reads the version the rollback
/// returns to from the mirror (as <see cref="WarmSwitch"/> does), checks it as the sync will (manifests, the agent's
/// policy, the image's signature through <see cref="ImageGate"/>) and, in the environment's turn, has the backend start
/// its replicas (<see cref="IEnvironmentBackend.StartAheadAsync"/>). The sync that applies the commit then finds the
/// signature verdict in the gate and the replicas starting, instead of starting both itself a second later. It decides
/// nothing: the sync still checks the commit's own files and image, and a guess that turns out wrong only cost a check,
/// or replicas kept warm until the rollback window removes them.
/// </summary>
public sealed class RollbackHeadStart(
    ConfigRepoMirror mirror, ImageGate gate, IEnvironmentBackend backend, EnvironmentGates turns, StatusBoard board, SyncPolicy policy, ILogger log)
{
    /// <summary>How long it waits for the environment's turn; a sync that holds it longer (a progressive rollout) starts the replicas itself.</summary>
    public TimeSpan TurnWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Checks the target and starts its replicas when it passes; never throws.</summary>
    public async Task StartAsync(string environment, string? to, CancellationToken cancellationToken)
    {
        try
        {
            if (await CheckAsync(environment, to, cancellationToken) is not { } target) return;
            using var turn = await turns.TryEnterAsync(environment, TurnWait, cancellationToken);
            if (turn is null) return;
            await backend.StartAheadAsync(target.Manifests, target.Revision, cancellationToken);
        }
        catch (RollbackRefusedException)
        {
            // The commit refuses it too, and says why.
        }
        catch (Exception exception)
        {
            // An unreadable mirror, an engine that failed, a cancelled request: the commit and the sync say what counts.
            log.Warning("Nothing of {Environment}'s rollback started ahead of its commit: {Error}", environment, exception.Message);
        }
    }

    /// <summary>
    /// What a rollback of <paramref name="environment"/> without --to would return to, checked ahead of any incident: an
    /// agent that just started (a crash, an upgrade) would otherwise ask the registry about that image, and compile the
    /// code that does it, in the first rollback's critical second. Starts nothing; never throws.
    /// </summary>
    public async Task PrepareAsync(string environment, CancellationToken cancellationToken)
    {
        try
        {
            await CheckAsync(environment, null, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Nothing to roll back to yet, or the mirror unreadable: the rollback itself says what counts.
            log.Debug("No rollback target of {Environment} checked ahead: {Error}", environment, exception.Message);
        }
    }

    /// <summary>The target's manifests (as a rollback) and the commit of its files, when they pass the sync's checks.</summary>
    async Task<(EnvironmentManifests Manifests, string Revision)?> CheckAsync(string environment, string? to, CancellationToken cancellationToken)
    {
        if (board.Head is not { } head) return null;
        var target = await mirror.LocateRollbackAsync(head, environment, to, cancellationToken);
        if (target.FilesAt is not { } filesAt || await mirror.ReadEnvironmentAsync(filesAt, environment, policy.Folder, cancellationToken) is not { } files) return null;
        var manifests = EnvironmentManifests.Parse(environment, files) with { IsRollback = true };
        if (policy.Refusals(manifests, backend) is { Count: > 0 } refusals)
        {
            log.Information("Nothing of {Environment}'s rollback starts ahead of its commit: {Problems}", environment, string.Join(" | ", refusals));
            return null;
        }
        var keys = await mirror.ReadFolderAsync(head, SlipwayMetadata.KeysFolder, cancellationToken);
        var admission = await gate.AdmitAsync(environment, manifests, keys, cancellationToken);
        log.Information("Signature of {Image}, the image a rollback of {Environment} returns to, checked ahead: {Outcome}",
            manifests.Image, environment, admission.Outcome);
        if (!admission.Permitted) return null;
        // The replicas' revision label names a commit (filesAt may be an expression such as <sha>^).
        return (await mirror.ObjectIdsAsync([filesAt], cancellationToken))[0] is { } revision ? (manifests, revision) : null;
    }
}
