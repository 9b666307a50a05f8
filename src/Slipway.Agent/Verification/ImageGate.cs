using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Oci;
using Slipway.Delivery.SupplyChain;

namespace Slipway.Agent.Verification;

/// <summary>
/// The agent's signature gate, shared by the pull loop and image automation: may this environment run this image,
/// given the public keys in the config repo's keys/ and the Deployment's <c>slipway.dev/image-verification</c> mode?
/// Verdicts are cached per image digest, mode and key set, so a loop that re-checks every interval does not hit the
/// registry each time; a failed check (registry away) is never cached and never turned into a verdict.
/// </summary>
public sealed class ImageGate(IImageVerification verification, TimeProvider clock)
{
    /// <summary>
    /// A Verified verdict stays true for that digest and key set (both immutable); an Unsigned or Invalid one is asked
    /// again after this, since a signature may be pushed after its image.
    /// </summary>
    public static readonly TimeSpan UnverifiedRecheckAfter = TimeSpan.FromMinutes(5);

    // Far more than the digests one agent sees between restarts; past it the cache starts over rather than grow.
    const int MaxCachedVerdicts = 1024;

    readonly ConcurrentDictionary<VerdictKey, CachedVerdict> verdicts = new();
    readonly ConcurrentDictionary<VerdictKey, Lazy<Task<ImageVerdict>>> checks = new();

    /// <summary>
    /// The Deployment's mode. A Deployment without the annotation was rendered before Slipway signed images (the renderer
    /// always writes it now), so what runs from it is unsigned: audited, so that an existing platform keeps working.
    /// An unknown value enforces (the safe side).
    /// </summary>
    public static VerificationMode ModeOf(EnvironmentManifests manifests, out bool annotated)
    {
        ArgumentNullException.ThrowIfNull(manifests);
        string? value = null;
        annotated = manifests.Deployment.Metadata?.Annotations?.TryGetValue(SlipwayMetadata.VerificationAnnotation, out value) == true;
        if (!annotated) return VerificationMode.Audit;
        return value == SlipwayMetadata.VerificationAudit ? VerificationMode.Audit : VerificationMode.Enforce;
    }

    /// <summary>May the environment run the image its Deployment names?</summary>
    public Task<ImageAdmission> AdmitAsync(string environment, EnvironmentManifests manifests, IReadOnlyDictionary<string, string> keysFolder,
                                           CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifests);
        return manifests.Image is { Length: > 0 } image
            ? AdmitAsync(environment, image, manifests, keysFolder, cancellationToken)
            : Task.FromResult(new ImageAdmission(ImageAdmissionOutcome.Refused, $"{environment}: the Deployment names no image to verify"));
    }

    /// <summary>May the environment run <paramref name="image"/>, under the mode of its current Deployment (<paramref name="manifests"/>)?</summary>
    public async Task<ImageAdmission> AdmitAsync(string environment, string image, EnvironmentManifests manifests, IReadOnlyDictionary<string, string> keysFolder,
                                                 CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keysFolder);
        var mode = ModeOf(manifests, out var annotated);
        var keys = ImageVerifier.TrustedKeys(keysFolder);
        ImageVerdict verdict;
        try
        {
            verdict = await VerifyCachedAsync(ImageReference.Parse(image), keys, mode, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Audit never blocks, not even on a check that could not run; enforce waits for a verdict.
            return mode == VerificationMode.Audit
                ? new ImageAdmission(ImageAdmissionOutcome.AdmittedWithWarning,
                    $"{environment} audits image signatures, and the signature of {image} could not be checked ({exception.Message}) (audit mode: allowed)")
                : new ImageAdmission(ImageAdmissionOutcome.Unverifiable,
                    $"cannot verify the signature of {image} for {environment} yet ({exception.Message}); retrying at the next sync");
        }
        if (verdict is ImageVerdict.Verified)
            return new ImageAdmission(ImageAdmissionOutcome.Verified, verdict.ToString());
        if (verdict.Permitted)
        {
            var why = annotated ? "audits image signatures" : $"has no {SlipwayMetadata.VerificationAnnotation} annotation (rendered before signing), so it audits";
            return new ImageAdmission(ImageAdmissionOutcome.AdmittedWithWarning, $"{environment} {why}: {verdict}");
        }
        return new ImageAdmission(ImageAdmissionOutcome.Refused,
            $"{environment} enforces signed images, and {verdict}. Sign it (./build.sh Push) with a key whose public half is in the config repo's " +
            $"{SlipwayMetadata.KeysFolder}/, or set verification: audit for {environment}");
    }

    async Task<ImageVerdict> VerifyCachedAsync(ImageReference image, IReadOnlyList<string> keys, VerificationMode mode, CancellationToken cancellationToken)
    {
        var key = new VerdictKey(image.ToString(), mode, Fingerprint(keys));
        if (verdicts.TryGetValue(key, out var cached) && (cached.RecheckAt is null || cached.RecheckAt > clock.GetUtcNow()))
            return cached.Verdict;
        // One check per key at a time: a sync that asks while a rollback's early check runs waits for that one. The check
        // is not the caller's to cancel (another may be waiting on it); the registry's timeouts bound it.
        var checking = checks.GetOrAdd(key, _ => new Lazy<Task<ImageVerdict>>(() => CheckAsync(key, image, keys, mode)));
        return await checking.Value.WaitAsync(cancellationToken);
    }

    async Task<ImageVerdict> CheckAsync(VerdictKey key, ImageReference image, IReadOnlyList<string> keys, VerificationMode mode)
    {
        try
        {
            var verdict = await verification.VerifyAsync(image, keys, mode, CancellationToken.None);
            if (verdicts.Count >= MaxCachedVerdicts) verdicts.Clear();
            verdicts[key] = new CachedVerdict(verdict, verdict is ImageVerdict.Verified ? null : clock.GetUtcNow() + UnverifiedRecheckAfter);
            return verdict;
        }
        finally
        {
            checks.TryRemove(key, out _);
        }
    }

    /// <summary>One value for the whole key set, order-free: a key added or removed in keys/ is another cache entry.</summary>
    static string Fingerprint(IReadOnlyList<string> keys) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", keys.Select(k => k.Trim()).Order(StringComparer.Ordinal)))));

    sealed record VerdictKey(string Image, VerificationMode Mode, string KeySet);

    sealed record CachedVerdict(ImageVerdict Verdict, DateTimeOffset? RecheckAt);
}
