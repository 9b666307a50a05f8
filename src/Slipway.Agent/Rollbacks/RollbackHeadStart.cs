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
            if (board.Head is not { } head) return;
            var target = await mirror.LocateRollbackAsync(head, environment, to, cancellationToken);
            if (target.FilesAt is not { } filesAt || await mirror.ReadEnvironmentAsync(filesAt, environment, policy.Folder, cancellationToken) is not { } files) return;
            var manifests = EnvironmentManifests.Parse(environment, files) with { IsRollback = true };
            if (policy.Refusals(manifests, backend) is { Count: > 0 } refusals)
            {
                log.Information("Nothing of {Environment}'s rollback starts ahead of its commit: {Problems}", environment, string.Join(" | ", refusals));
                return;
            }
            var keys = await mirror.ReadFolderAsync(head, SlipwayMetadata.KeysFolder, cancellationToken);
            var admission = await gate.AdmitAsync(environment, manifests, keys, cancellationToken);
            log.Information("Signature of {Image}, the image {Environment}'s rollback returns to, checked ahead of the commit: {Outcome}",
                manifests.Image, environment, admission.Outcome);
            if (!admission.Permitted) return;
            // The replicas' revision label names a commit (filesAt may be an expression such as <sha>^).
            if ((await mirror.ObjectIdsAsync([filesAt], cancellationToken))[0] is not { } revision) return;
            using var turn = await turns.TryEnterAsync(environment, TurnWait, cancellationToken);
            if (turn is null) return;
            await backend.StartAheadAsync(manifests, revision, cancellationToken);
        }
        catch (RollbackRefusedException)
        {
            // The commit refuses it too, and says why.
        }
        catch (Exception exception)
        {
            // A refused rollback, an unreadable mirror, an engine that failed, a cancelled request: the commit and the
            // sync say what counts.
            log.Warning("Nothing of {Environment}'s rollback started ahead of its commit: {Error}", environment, exception.Message);
        }
    }
}
