using System.Globalization;
using Polly;
using Polly.Retry;
using Slipway.Agent.Verification;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Images;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Registry;

namespace Slipway.Agent.ImageAutomation;

/// <summary>What one scan of one environment found and did.</summary>
public sealed record ImageScanResult(
    string Environment,
    string Repository,
    string Policy,
    DateTimeOffset ScannedAt,
    ImageScanOutcome Outcome,
    string? Tag = null,
    string? Image = null,
    string? Commit = null,
    string? Error = null);

public enum ImageScanOutcome
{
    /// <summary>The environment already runs the digest of the latest tag.</summary>
    UpToDate,
    /// <summary>The latest tag's digest was committed to the environment.</summary>
    Committed,
    /// <summary>No tag of the repository satisfies the policy (or the repository has no tags yet).</summary>
    NoMatchingTag,
    /// <summary>The latest tag's digest was rolled back in this environment (a Slipway-Rollback-Of commit reverted its deploy): not deployed again until a newer tag.</summary>
    HeldAfterRollback,
    /// <summary>The registry, the config repo or the environment's manifests failed; nothing was committed.</summary>
    Failed,
    /// <summary>The latest tag's digest does not verify against the config repo's keys/ and the environment enforces signatures: not committed.</summary>
    Unverified,
}

/// <summary>
/// One scan: list the repository's tags, pick the latest by the policy, resolve its digest (HEAD manifest), and when the
/// environment's config runs another image, commit the new digest to environments/&lt;env&gt;/ with the deployment trailers.
/// The source commit and time come from the image's org.opencontainers.image.revision / .created labels when it has them.
/// A digest must pass the agent's signature gate (<see cref="ImageGate"/>) under the environment's mode before it is committed.
/// </summary>
public sealed class ImageScanner(RegistryClient registry, AutomationConfigRepository configRepositories, ImageGate imageGate, string run, ILogger log)
{
    /// <summary>
    /// A registry announces a push (its notification) as the manifest lands, a moment before the tag resolves: a listed tag
    /// that does not resolve yet is asked for again, briefly (about 6 s in all), before the scan gives up on it.
    /// </summary>
    private static readonly ResiliencePipeline<string?> ResolveRetry = new ResiliencePipelineBuilder<string?>()
        .AddRetry(new RetryStrategyOptions<string?>
        {
            ShouldHandle = new PredicateBuilder<string?>().HandleResult(digest => digest is null),
            MaxRetryAttempts = 5,
            Delay = TimeSpan.FromMilliseconds(200),
            BackoffType = DelayBackoffType.Exponential,
        })
        .Build();

    public async Task<ImageScanResult> ScanAsync(ImageAutomationRule rule, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var result = new ImageScanResult(rule.Environment, rule.Repository.ToString(), rule.Policy.ToString(), DateTimeOffset.UtcNow, ImageScanOutcome.Failed);
        var scanLog = log.ForContext("Environment", rule.Environment);
        try
        {
            var tags = await registry.ListTagsAsync(rule.Repository, cancellationToken);
            var selection = rule.Policy.SelectLatest(tags);
            if (selection is null)
            {
                scanLog.Debug("No tag of {Repository} ({Count} tags) satisfies {Policy}", rule.Repository.ToString(), tags.Count, rule.Policy.ToString());
                return result with { Outcome = ImageScanOutcome.NoMatchingTag };
            }
            var tagged = rule.Repository.WithTag(selection.Tag);
            var digest = await ResolveRetry.ExecuteAsync(async token => await registry.ResolveDigestAsync(tagged, token), cancellationToken);
            if (digest is null)
                return result with { Tag = selection.Tag, Error = $"tag {selection.Tag} disappeared between listing and resolving it; the next scan retries" };
            var image = new ImageDigestReference(rule.Repository.Name, digest);
            result = result with { Tag = selection.Tag, Image = image.ToString() };

            var configRepository = await configRepositories.OpenAsync(cancellationToken);
            var manifests = await configRepository.ReadEnvironmentAsync(rule.Environment, cancellationToken: cancellationToken);
            if (manifests?.Image is not { } running)
                return result with { Error = $"{SlipwayMetadata.EnvironmentFolder(rule.Environment)}/ is not in the config repo; deploy the environment once " +
                                             "(./build.sh Deploy) so image automation has manifests to update" };
            if (ImageDigestReference.TryParse(running, out var current, out _) && current == image)
                return result with { Outcome = ImageScanOutcome.UpToDate };

            if (await RollbackOfAsync(configRepository, rule.Environment, image, cancellationToken) is { } rollback)
            {
                scanLog.Debug("{Image} was rolled back in {Environment} by {Rollback}; not deploying it again", image.ToString(), rule.Environment, rollback);
                return result with
                {
                    Outcome = ImageScanOutcome.HeldAfterRollback,
                    Error = $"{image} was rolled back by {rollback[..12]}; image automation deploys it no more — push a newer tag (or deploy it by hand)",
                };
            }

            var keys = await configRepository.ReadFolderAsync(SlipwayMetadata.KeysFolder, cancellationToken);
            if (Judge(result, await imageGate.AdmitAsync(rule.Environment, image.ToString(), manifests, keys, cancellationToken), scanLog) is { } skipped)
                return skipped;

            var commit = await CommitAsync(configRepository, rule, selection, tagged.ToString(), image, running, cancellationToken);
            scanLog.Information("Image automation: {Environment} now wants {Image} (tag {Tag}, {Policy}); {Outcome} {Sha}",
                rule.Environment, image.ToString(), selection.Tag, rule.Policy.ToString(), commit.Outcome, commit.Sha[..12]);
            return result with { Outcome = commit.Changed ? ImageScanOutcome.Committed : ImageScanOutcome.UpToDate, Commit = commit.Sha };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception)
        {
            // Registry down, config repo unreachable, manifests the agent would refuse: reported, retried next scan, nothing committed.
            scanLog.Debug(exception, "Image automation scan of {Environment} ({Repository}) failed", rule.Environment, rule.Repository.ToString());
            return result with { Error = exception.Message };
        }
    }

    /// <summary>
    /// What the signature gate means for this scan: null to go on and commit (verified, or audited with a warning logged),
    /// else the result that skips the tag (Unverified when refused; Failed when the check could not run, so the next scan retries).
    /// </summary>
    internal static ImageScanResult? Judge(ImageScanResult result, ImageAdmission admission, ILogger scanLog)
    {
        switch (admission.Outcome)
        {
            case ImageAdmissionOutcome.Verified:
                return null;
            case ImageAdmissionOutcome.AdmittedWithWarning:
                scanLog.Warning("Image automation commits {Image} unverified: {Warning}", result.Image, admission.Message);
                return null;
            case ImageAdmissionOutcome.Refused:
                // Debug: the service reports the Unverified outcome once per change, not once per scan.
                scanLog.Debug("Image automation skips tag {Tag} ({Image}): {Reason}", result.Tag, result.Image, admission.Message);
                return result with { Outcome = ImageScanOutcome.Unverified, Error = admission.Message };
            default:
                return result with { Outcome = ImageScanOutcome.Failed, Error = admission.Message };
        }
    }

    async Task<CommitResult> CommitAsync(ConfigRepository configRepository, ImageAutomationRule rule, PolicySelection selection, string tagged, ImageDigestReference image, string running,
        CancellationToken cancellationToken)
    {
        var labels = await registry.GetImageLabelsAsync(rule.Repository.WithDigest(image.Digest), cancellationToken);
        var sourceCommit = labels.TryGetValue(OciLabels.Revision, out var revision) && IsSingleLine(revision) ? revision : "unknown";
        var sourceTime = labels.TryGetValue(OciLabels.Created, out var created) &&
                         DateTimeOffset.TryParse(created, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
            ? parsed
            : DateTimeOffset.MinValue;
        var trailers = new DeploymentTrailers(rule.Environment, image.ToString(), sourceCommit, sourceTime, run);
        trailers.Check();

        var folder = SlipwayMetadata.EnvironmentFolder(rule.Environment);
        var message = $"Deploy {image.Digest[..19]} to {rule.Environment} (image automation: {selection.Tag})\n\n" +
                      $"{tagged} resolved to {image.Digest}, the latest tag by policy {rule.Policy}.\n" +
                      $"The environment ran {running}.\n\n" +
                      string.Join('\n', trailers.ToLines()) + "\n";
        return await configRepository.CommitAsync(folder, (work, _) =>
        {
            // Runs on a fresh work tree (again after a conflicting rebase), so it reads what the remote has now.
            var directory = Path.Combine(work, folder);
            if (!Directory.Exists(directory))
                throw new ImageAutomationException($"{folder}/ was removed from the config repo meanwhile; nothing to update");
            var files = Directory.EnumerateFiles(directory).ToDictionary(path => Path.GetFileName(path), File.ReadAllText, StringComparer.Ordinal);
            EnvironmentImageUpdate.WithImage(rule.Environment, files, image).WriteTo(directory);
            return Task.CompletedTask;
        }, message, cancellationToken);
    }

    /// <summary>
    /// The rollback commit that reverted a deploy of <paramref name="image"/> in the environment, if any: a version that was
    /// rolled back must not come straight back through automation (Git and the environment must keep agreeing on the rollback).
    /// </summary>
    static async Task<string?> RollbackOfAsync(ConfigRepository configRepository, string environment, ImageDigestReference image, CancellationToken cancellationToken)
    {
        var history = await configRepository.HistoryAsync(environment, cancellationToken);
        foreach (var commit in history)
        {
            if (commit.Deployment?.RollbackOf is not { Length: > 0 } reverted) continue;
            var revertedDeploy = history.FirstOrDefault(candidate => candidate.Sha.StartsWith(reverted, StringComparison.OrdinalIgnoreCase));
            if (revertedDeploy?.Deployment?.Image == image.ToString()) return commit.Sha;
        }
        return null;
    }

    static bool IsSingleLine(string value) => value.Length > 0 && !value.Contains('\n') && !value.Contains('\r');
}

/// <summary>Image automation cannot update the environment; the message says why and what to do.</summary>
public sealed class ImageAutomationException(string message) : Exception(message);
