using Slipway.Agent.ConfigRepo;
using Slipway.Agent.Sync;
using Slipway.Agent.Verification;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Manifests;

namespace Slipway.Agent.Rollbacks;

/// <summary>
/// Checks the signature of the image a rollback returns to while its commit is being made, so that the sync applying the
/// commit finds the verdict in the gate (<see cref="ImageGate"/>: cached, or the check under way joined) instead of
/// starting it then: about a second under load, for an image the agent has not checked since it started. Everything is
/// read from the mirror as last fetched, as <see cref="WarmSwitch"/> does. It decides nothing: the sync still checks the
/// commit's own image against the commit's own keys, and a guess that turns out wrong only cost a check.
/// </summary>
public sealed class RollbackTargetCheck(ConfigRepoMirror mirror, ImageGate gate, StatusBoard board, FolderLimits limits, ILogger log)
{
    /// <summary>Checks the target's image when the mirror locates it; never throws.</summary>
    public async Task CheckAsync(string environment, string? to, CancellationToken cancellationToken)
    {
        try
        {
            if (board.Head is not { } head) return;
            var target = await mirror.LocateRollbackAsync(head, environment, to, cancellationToken);
            if (target.FilesAt is not { } filesAt || await mirror.ReadEnvironmentAsync(filesAt, environment, limits, cancellationToken) is not { } files) return;
            var manifests = EnvironmentManifests.Parse(environment, files);
            var keys = await mirror.ReadFolderAsync(head, SlipwayMetadata.KeysFolder, cancellationToken);
            var admission = await gate.AdmitAsync(environment, manifests, keys, cancellationToken);
            log.Information("Signature of {Image}, the image {Environment}'s rollback returns to, checked ahead of the commit: {Outcome}",
                manifests.Image, environment, admission.Outcome);
        }
        catch (Exception exception)
        {
            // A refused rollback, an unreadable mirror, a cancelled request: the commit and the sync say what counts.
            log.Debug("No signature check ahead of {Environment}'s rollback: {Error}", environment, exception.Message);
        }
    }
}
