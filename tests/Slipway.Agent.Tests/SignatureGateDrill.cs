using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Oci;
using Slipway.Delivery.Registry;
using Slipway.Delivery.SupplyChain;
using Slipway.Testing;

namespace Slipway.Agent.Tests;

/// <summary>
/// The signature gate for real: a real registry holding a cosign signature made by <see cref="ImageSigner"/>, the key's
/// public half in the config repo's keys/, the agent on Docker. A signed image is served; an unsigned one is refused.
/// </summary>
[Trait("Tier", "Engine")]
public sealed class SignatureGateDrill(BeaconImages images) : IAsyncLifetime
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => images.EnsureBuiltAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_signed_image_is_served_and_an_unsigned_one_is_refused_with_the_reason_while_the_signed_one_keeps_serving()
    {
        // A key of this test alone: a signature by another run's key never makes ImageA verify here.
        using var key = SigningKey.Generate();
        using var registry = new RegistryClient(Serilog.Core.Logger.None, _ => null);
        var signed = ImageReference.Parse(images.ImageA);
        var unsigned = ImageReference.Parse(images.ImageB);
        await ImageSigner.SignAndAttestAsync(registry, signed,
            CycloneDxSbom.Create(signed, [SbomComponent.Debian("libc6", null, "amd64")], DateTimeOffset.UtcNow),
            SlsaProvenance.Create(new BuildProvenance("https://slipway.dev/build/pipeline/v1", "https://slipway.dev/builder/tests", "signature-gate-drill",
                "https://example.invalid/beacon.git", new string('0', 40), new Dictionary<string, string>())), key, Ct);
        // Nothing signs ImageB (the other drills audit): the refusal below is about an unsigned image, not a wrong key.
        Assert.IsType<ImageVerdict.Unsigned>(await ImageVerifier.VerifyAsync(registry, unsigned, key.PublicKeyPem, VerificationMode.Enforce, ct: Ct));

        await using var agent = await AgentUnderTest.CreateAsync();
        await agent.Repo.CommitPublicKeyAsync("signing", key.PublicKeyPem);
        var port = FreePort.Next();
        var good = await agent.Repo.CommitAsync("staging", images.ImageA, replicas: 1, hostPort: port, verification: SlipwayMetadata.VerificationEnforce);
        await agent.StartAsync();
        var served = await agent.WaitForAsync("staging", good);
        Assert.Null(served.LastError);
        Assert.Equal(signed.Digest, (await agent.VersionAsync(port)).ImageDigest);
        var containers = await agent.ContainersAsync("staging");

        var bad = await agent.Repo.CommitAsync("staging", images.ImageB, replicas: 1, hostPort: port, verification: SlipwayMetadata.VerificationEnforce);
        var refusal = await Assert.ThrowsAsync<AgentWaitException>(() => agent.WaitForAsync("staging", bad));

        var status = refusal.LastStatus!;
        Assert.Equal((bad, good, EnvironmentHealth.Degraded), (status.RefusedRevision, status.AppliedRevision, status.Health));
        Assert.Contains("staging enforces signed images", status.LastError, StringComparison.Ordinal);
        Assert.Contains($"{unsigned}: unsigned: no signature", status.LastError, StringComparison.Ordinal);
        Assert.Equal(signed.Digest, (await agent.VersionAsync(port)).ImageDigest);
        Assert.Equal(containers.Select(c => c.ID), (await agent.ContainersAsync("staging")).Select(c => c.ID));
    }
}
