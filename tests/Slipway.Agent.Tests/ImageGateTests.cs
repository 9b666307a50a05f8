using Microsoft.Extensions.Time.Testing;
using Slipway.Agent.ImageAutomation;
using Slipway.Agent.Tests.Fakes;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Agent.Verification;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.SupplyChain;

namespace Slipway.Agent.Tests;

/// <summary>The agent's signature gate on a fake registry: modes, the missing annotation, the verdict cache, an outage; and what image automation does with its answer.</summary>
public sealed class ImageGateTests
{
    const string Environment = "staging";
    const string Image = "127.0.0.1:5000/beacon@sha256:1111111111111111111111111111111111111111111111111111111111111111";
    static readonly IReadOnlyDictionary<string, string> Keys = new Dictionary<string, string> { ["signing.pub"] = "-----BEGIN PUBLIC KEY-----\nA\n-----END PUBLIC KEY-----\n" };
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    readonly FakeImageVerification registry = new();
    readonly FakeTimeProvider clock = new();
    readonly ImageGate gate;

    public ImageGateTests() => gate = new ImageGate(registry, clock);

    static EnvironmentManifests Manifests(string? verification)
    {
        var manifests = TestConfigRepo.Render(Environment, Image, replicas: 1, hostPort: 18090, audience: "gate", verification: verification ?? "audit").Manifests;
        if (verification is null) manifests.Deployment.Metadata.Annotations.Remove(SlipwayMetadata.VerificationAnnotation);
        return manifests;
    }

    [Fact]
    public async Task A_signed_image_is_verified_in_either_mode()
    {
        registry.Sign(Image);
        Assert.Equal(ImageAdmissionOutcome.Verified, (await gate.AdmitAsync(Environment, Manifests("enforce"), Keys, Ct)).Outcome);
        Assert.Equal(ImageAdmissionOutcome.Verified, (await gate.AdmitAsync(Environment, Manifests("audit"), Keys, Ct)).Outcome);
    }

    [Theory]
    [InlineData(false, "unsigned: no signature")]
    [InlineData(true, "invalid: no signature layer verifies")]
    public async Task Enforce_refuses_an_unsigned_or_invalid_image_with_the_verdicts_reason(bool tampered, string reason)
    {
        if (tampered) registry.Tamper(Image);
        var admission = await gate.AdmitAsync(Environment, Manifests("enforce"), Keys, Ct);
        Assert.Equal(ImageAdmissionOutcome.Refused, admission.Outcome);
        Assert.False(admission.Permitted);
        Assert.StartsWith("staging enforces signed images", admission.Message, StringComparison.Ordinal);
        Assert.Contains($"{Image}: {reason}", admission.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enforce_with_no_key_in_keys_refuses()
    {
        var admission = await gate.AdmitAsync(Environment, Manifests("enforce"), new Dictionary<string, string> { ["README.md"] = "keys live here" }, Ct);
        Assert.Equal(ImageAdmissionOutcome.Refused, admission.Outcome);
        Assert.Contains("no trusted public key", admission.Message, StringComparison.Ordinal);
        Assert.Empty(registry.LastKeys);   // only *.pub files are keys
    }

    [Fact]
    public async Task Audit_admits_an_unsigned_image_with_a_warning()
    {
        var admission = await gate.AdmitAsync(Environment, Manifests("audit"), Keys, Ct);
        Assert.Equal(ImageAdmissionOutcome.AdmittedWithWarning, admission.Outcome);
        Assert.True(admission.Permitted);
        Assert.Contains("staging audits image signatures", admission.Message, StringComparison.Ordinal);
        Assert.Contains("unsigned", admission.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Deployment_without_the_annotation_predates_signing_and_is_audited()
    {
        var manifests = Manifests(null);
        Assert.Equal(VerificationMode.Audit, ImageGate.ModeOf(manifests, out var annotated));
        Assert.False(annotated);
        var admission = await gate.AdmitAsync(Environment, manifests, Keys, Ct);
        Assert.Equal(ImageAdmissionOutcome.AdmittedWithWarning, admission.Outcome);
        Assert.Contains("rendered before signing", admission.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_mode_enforces()
    {
        var manifests = Manifests("enforce");
        manifests.Deployment.Metadata.Annotations[SlipwayMetadata.VerificationAnnotation] = "sometimes";
        Assert.Equal(VerificationMode.Enforce, ImageGate.ModeOf(manifests, out _));
    }

    [Fact]
    public async Task A_verdict_is_cached_per_digest_and_key_set()
    {
        registry.Sign(Image);
        await gate.AdmitAsync(Environment, Manifests("enforce"), Keys, Ct);
        await gate.AdmitAsync(Environment, Manifests("enforce"), Keys, Ct);
        clock.Advance(TimeSpan.FromDays(1));
        await gate.AdmitAsync(Environment, Manifests("enforce"), Keys, Ct);
        Assert.Equal(1, registry.Checks);

        // A rotated key set is another question.
        var rotated = new Dictionary<string, string>(Keys) { ["next.pub"] = "-----BEGIN PUBLIC KEY-----\nB\n-----END PUBLIC KEY-----\n" };
        await gate.AdmitAsync(Environment, Manifests("enforce"), rotated, Ct);
        Assert.Equal(2, registry.Checks);
        Assert.Equal(2, registry.LastKeys.Count);
    }

    [Fact]
    public async Task Checks_of_one_image_at_once_share_one_registry_check_which_a_caller_that_gives_up_does_not_cancel()
    {
        registry.Sign(Image);
        registry.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var givingUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var early = gate.AdmitAsync(Environment, Manifests("enforce"), Keys, givingUp.Token);
        var sync = gate.AdmitAsync(Environment, Manifests("enforce"), Keys, Ct);

        await givingUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => early);
        Assert.False(sync.IsCompleted);
        registry.Hold.SetResult();

        Assert.Equal(ImageAdmissionOutcome.Verified, (await sync).Outcome);
        Assert.Equal(1, registry.Checks);
        Assert.Equal(ImageAdmissionOutcome.Verified, (await gate.AdmitAsync(Environment, Manifests("enforce"), Keys, Ct)).Outcome);
        Assert.Equal(1, registry.Checks);
    }

    [Fact]
    public async Task An_unverified_verdict_is_asked_again_after_the_recheck_interval_so_a_late_signature_counts()
    {
        Assert.Equal(ImageAdmissionOutcome.Refused, (await gate.AdmitAsync(Environment, Manifests("enforce"), Keys, Ct)).Outcome);
        registry.Sign(Image);
        Assert.Equal(ImageAdmissionOutcome.Refused, (await gate.AdmitAsync(Environment, Manifests("enforce"), Keys, Ct)).Outcome);
        Assert.Equal(1, registry.Checks);

        clock.Advance(ImageGate.UnverifiedRecheckAfter);
        Assert.Equal(ImageAdmissionOutcome.Verified, (await gate.AdmitAsync(Environment, Manifests("enforce"), Keys, Ct)).Outcome);
        Assert.Equal(2, registry.Checks);
    }

    [Fact]
    public async Task An_unreachable_registry_is_no_verdict_and_is_asked_again_at_the_next_check()
    {
        registry.Sign(Image);
        registry.RegistryDown = true;
        var outage = await gate.AdmitAsync(Environment, Manifests("enforce"), Keys, Ct);
        Assert.Equal(ImageAdmissionOutcome.Unverifiable, outage.Outcome);
        Assert.Contains("Connection refused", outage.Message, StringComparison.Ordinal);
        Assert.Contains("retrying at the next sync", outage.Message, StringComparison.Ordinal);

        registry.RegistryDown = false;
        Assert.Equal(ImageAdmissionOutcome.Verified, (await gate.AdmitAsync(Environment, Manifests("enforce"), Keys, Ct)).Outcome);
        Assert.Equal(2, registry.Checks);
    }

    [Fact]
    public async Task Audit_never_blocks_not_even_on_an_unreachable_registry()
    {
        registry.RegistryDown = true;
        var admission = await gate.AdmitAsync(Environment, Manifests("audit"), Keys, Ct);
        Assert.Equal(ImageAdmissionOutcome.AdmittedWithWarning, admission.Outcome);
        Assert.Contains("could not be checked", admission.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Image_automation_skips_a_tag_whose_digest_the_gate_refuses_and_records_why()
    {
        var scan = new ImageScanResult(Environment, "127.0.0.1:5000/beacon", "semver >=1.0.0", DateTimeOffset.UnixEpoch, ImageScanOutcome.Failed, Tag: "1.2.0", Image: Image);
        var log = TestLogger.Create("automation-gate");

        var refused = ImageScanner.Judge(scan, await gate.AdmitAsync(Environment, Image, Manifests("enforce"), Keys, Ct), log);
        Assert.Equal(ImageScanOutcome.Unverified, refused?.Outcome);
        Assert.Contains("unsigned: no signature", refused!.Error, StringComparison.Ordinal);
        Assert.Equal(("1.2.0", Image), (refused.Tag, refused.Image));

        Assert.Null(ImageScanner.Judge(scan, await gate.AdmitAsync(Environment, Image, Manifests("audit"), Keys, Ct), log));   // audit: committed, with a warning

        clock.Advance(ImageGate.UnverifiedRecheckAfter);   // past the cached Unsigned verdict: the registry is asked again
        registry.RegistryDown = true;
        var outage = ImageScanner.Judge(scan, await gate.AdmitAsync(Environment, Image, Manifests("enforce"), Keys, Ct), log);
        Assert.Equal(ImageScanOutcome.Failed, outage?.Outcome);   // the next scan retries

        registry.RegistryDown = false;
        registry.Sign(Image);
        Assert.Null(ImageScanner.Judge(scan, await gate.AdmitAsync(Environment, Image, Manifests("enforce"), Keys, Ct), log));
    }
}
