using System.Globalization;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Agent.Tests.Fakes;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Agent.Verification;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.Manifests;
using Slipway.Testing;
using Slipway.Testing.Kubernetes;

namespace Slipway.Agent.Tests;

/// <summary>
/// The pull loop's signature gate: the whole agent (loop, /status) with a real bare Git config repo, applying to the
/// Kubernetes API SIMULATION (no cluster, no container), with the registry's signatures faked (<see cref="FakeImageVerification"/>).
/// </summary>
public sealed class SignatureGateSyncTests : IAsyncLifetime
{
    const string Environment = "staging";
    const string PublicKey = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEtest\n-----END PUBLIC KEY-----";
    static readonly string SignedImage = "127.0.0.1:5000/beacon@sha256:" + new string('a', 64);
    static readonly string UnsignedImage = "127.0.0.1:5000/beacon@sha256:" + new string('b', 64);
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    readonly FakeImageVerification registry = new();
    SimulatedEnvironment env = null!;

    public async ValueTask InitializeAsync()
    {
        registry.Sign(SignedImage);
        env = await SimulatedEnvironment.CreateAsync("slipway-agent-gate-");
        await env.Repo.CommitPublicKeyAsync("signing", PublicKey);
    }

    public ValueTask DisposeAsync() => env.DisposeAsync();

    Task StartAgentAsync() => env.StartAgentAsync("gate-agent", registry);

    Task<EnvironmentStatus> WaitForAsync(Func<EnvironmentStatus, bool> condition, string what) => env.WaitForAsync(condition, what);

    Task<string> RunningImageAsync() => env.RunningImageAsync();

    async Task<string> DeploySignedImageAsync()
    {
        var good = await env.Repo.CommitAsync(Environment, SignedImage, replicas: 1, hostPort: 8081, verification: SlipwayMetadata.VerificationEnforce);
        await StartAgentAsync();
        var applied = await WaitForAsync(s => s.AppliedRevision == good && s.Health == EnvironmentHealth.Healthy, "the signed revision applied");
        Assert.Null(applied.LastError);
        return good;
    }

    [Theory]
    [InlineData(false, "unsigned: no signature")]
    [InlineData(true, "invalid: no signature layer verifies")]
    public async Task Enforce_refuses_an_unverified_image_and_the_last_good_revision_keeps_running(bool tampered, string reason)
    {
        if (tampered) registry.Tamper(UnsignedImage);
        var good = await DeploySignedImageAsync();

        var bad = await env.Repo.CommitAsync(Environment, UnsignedImage, replicas: 1, hostPort: 8081, verification: SlipwayMetadata.VerificationEnforce);
        var refused = await WaitForAsync(s => s.RefusedRevision == bad, "the unverified revision refused");

        Assert.Equal((good, bad, EnvironmentHealth.Degraded), (refused.AppliedRevision, refused.DesiredRevision, refused.Health));
        Assert.Contains($"Revision {bad[..12]} refused for staging: staging enforces signed images", refused.LastError, StringComparison.Ordinal);
        Assert.Contains($"{UnsignedImage}: {reason}", refused.LastError, StringComparison.Ordinal);
        Assert.Equal(SignedImage, await RunningImageAsync());
    }

    [Fact]
    public async Task Audit_applies_an_unverified_image_and_shows_the_warning_in_status()
    {
        await DeploySignedImageAsync();

        var audited = await env.Repo.CommitAsync(Environment, UnsignedImage, replicas: 1, hostPort: 8081, verification: SlipwayMetadata.VerificationAudit);
        var applied = await WaitForAsync(s => s.AppliedRevision == audited && s.Health == EnvironmentHealth.Healthy, "the audited revision applied");

        Assert.Null(applied.RefusedRevision);
        Assert.StartsWith("Image verification: staging audits image signatures", applied.LastError, StringComparison.Ordinal);
        Assert.Contains("unsigned: no signature", applied.LastError, StringComparison.Ordinal);
        Assert.Equal(UnsignedImage, await RunningImageAsync());
    }

    [Fact]
    public async Task A_platform_whose_manifests_predate_the_annotation_keeps_running_its_unsigned_image()
    {
        var rendered = TestConfigRepo.Render(Environment, UnsignedImage, replicas: 1, hostPort: 8081, audience: "legacy").Files.ToDictionary();
        rendered["deployment.yaml"] = string.Join('\n', rendered["deployment.yaml"].Split('\n')
            .Where(line => !line.Contains(SlipwayMetadata.VerificationAnnotation, StringComparison.Ordinal)));
        var legacy = await env.Repo.CommitFilesAsync(Environment, rendered, "Deploy (rendered before image signing)");
        await StartAgentAsync();

        var applied = await WaitForAsync(s => s.AppliedRevision == legacy && s.Health == EnvironmentHealth.Healthy, "the legacy revision applied");
        Assert.Contains("rendered before signing", applied.LastError, StringComparison.Ordinal);
        Assert.Equal(UnsignedImage, await RunningImageAsync());
    }

    [Fact]
    public async Task An_unreachable_registry_holds_the_revision_and_retries_it_without_refusing_it()
    {
        var good = await DeploySignedImageAsync();

        registry.RegistryDown = true;
        registry.Sign(UnsignedImage);   // signed, but the registry that says so is away
        var next = await env.Repo.CommitAsync(Environment, UnsignedImage, replicas: 1, hostPort: 8081, verification: SlipwayMetadata.VerificationEnforce);
        var held = await WaitForAsync(s => s.DesiredRevision == next && s.LastError?.Contains("retrying at the next sync", StringComparison.Ordinal) == true,
            "the revision held while the registry is away");
        Assert.Equal((good, null, EnvironmentHealth.Degraded), (held.AppliedRevision, held.RefusedRevision, held.Health));
        Assert.Contains($"{good[..12]} keeps running", held.LastError, StringComparison.Ordinal);
        var checksDuringOutage = registry.Checks;
        await WaitForAsync(_ => registry.Checks > checksDuringOutage, "a retry on a later sync");
        Assert.Equal(SignedImage, await RunningImageAsync());

        registry.RegistryDown = false;
        var applied = await WaitForAsync(s => s.AppliedRevision == next && s.Health == EnvironmentHealth.Healthy, "the revision applied once the registry is back");
        Assert.Null(applied.LastError);
        Assert.Equal(UnsignedImage, await RunningImageAsync());
    }

    [Fact]
    public async Task After_a_restart_the_last_good_revision_is_found_only_once_the_registry_can_verify_it()
    {
        var good = await env.Repo.CommitAsync(Environment, SignedImage, replicas: 1, hostPort: 8081, verification: SlipwayMetadata.VerificationEnforce);
        var files = (await env.Repo.FilesAsync(Environment)).ToDictionary();
        files["deployment.yaml"] = files["deployment.yaml"].Replace(SignedImage, "127.0.0.1:5000/beacon:latest", StringComparison.Ordinal);
        var byTag = await env.Repo.CommitFilesAsync(Environment, files, "Deploy by tag");
        registry.RegistryDown = true;
        await StartAgentAsync();   // a fresh agent: the last good revision is not in memory, it is searched in Git

        var waiting = await WaitForAsync(s => s.LastError?.Contains("Looking for the last good revision of staging", StringComparison.Ordinal) == true,
            "the history walk waiting for the registry");
        Assert.Equal(EnvironmentHealth.Failed, waiting.Health);
        Assert.Null(waiting.AppliedRevision);
        var checksDuringOutage = registry.Checks;
        await WaitForAsync(_ => registry.Checks > checksDuringOutage, "a retry on a later sync");

        registry.RegistryDown = false;
        // Applied first reads Progressing while the simulated rollout completes; the verdict is read once it has settled.
        var applied = await WaitForAsync(s => s.AppliedRevision == good && s.Health != EnvironmentHealth.Progressing,
            "the last good revision applied, and its rollout finished, once the registry is back");
        Assert.Equal((byTag, EnvironmentHealth.Degraded), (applied.RefusedRevision, applied.Health));
        Assert.Contains(":latest", applied.LastError, StringComparison.Ordinal);
        Assert.Equal(SignedImage, await RunningImageAsync());
    }

    [Fact]
    public async Task A_verified_revision_is_checked_once_not_every_interval()
    {
        await DeploySignedImageAsync();
        var checks = registry.Checks;
        var firstFetch = (await env.Status.GetStatusAsync(Ct)).LastFetch!.Value;
        // A second of fetches and syncs of the same head (the interval is 0.2 s).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await env.Status.GetStatusAsync(Ct)).LastFetch < firstFetch + TimeSpan.FromSeconds(1))
        {
            Assert.True(DateTime.UtcNow < deadline, "the agent stopped fetching");
            await Task.Delay(100, Ct);
        }
        Assert.Equal(checks, registry.Checks);
    }
}
