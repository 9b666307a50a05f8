using Slipway.Delivery.Oci;
using Slipway.Delivery.Registry;
using Slipway.Delivery.SupplyChain;
using Slipway.Delivery.Tests.ConfigRepo;
using Slipway.Delivery.Tests.Manifests;

namespace Slipway.Delivery.Tests.SupplyChain;

/// <summary>
/// The gate GitOpsCommit and Promote pass before committing a digest: the environment's policy from deploy/, the keys
/// from the config repo (a real bare Git repo), the signatures from the registry (<see cref="RegistryApiSimulation"/>).
/// </summary>
public sealed class DeliveryImageGateTests : IDisposable
{
    private readonly RegistryApiSimulation simulation = new();
    private readonly GitSandbox sandbox = new();
    private readonly DeployFolder deploy = DeployFolder.Copy();
    private readonly RegistryClient registry;
    private readonly SigningKey key = SigningKey.Generate();
    private readonly ImageReference repository = ImageReference.Parse("127.0.0.1:5999/beacon");

    public DeliveryImageGateTests() => registry = new RegistryClient(sandbox.Logs.Logger(), _ => null, simulation);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        registry.Dispose();
        simulation.Dispose();
        key.Dispose();
        deploy.Dispose();
        sandbox.Dispose();
    }

    private DeliveryImageGate Gate() => new(sandbox.Repository(), registry, deploy.Path, sandbox.Logs.Logger());

    private Task PublishAsync(SigningKey published) =>
        sandbox.Repository().CommitAsync("keys", async (work, token) =>
        {
            Directory.CreateDirectory(Path.Combine(work, "keys"));
            await File.WriteAllTextAsync(Path.Combine(work, "keys", "slipway-test.pub"), published.PublicKeyPem, token);
        }, "Trust the test key", Ct);

    private async Task<ImageReference> ImageAsync(SigningKey? signedWith)
    {
        var image = await SupplyChainSamples.PushTinyImageAsync(registry, repository, "app", Ct);
        if (signedWith is not null)
            await ImageSigner.SignAndAttestAsync(registry, image, SupplyChainSamples.Sbom(image), SupplyChainSamples.Provenance(), signedWith, Ct);
        return image;
    }

    [Fact]
    public async Task An_unsigned_digest_is_refused_with_the_reason_and_the_fix_and_the_config_repo_is_left_as_it_was()
    {
        await PublishAsync(key);
        var image = await ImageAsync(signedWith: null);
        var before = await sandbox.Repository().SyncAsync(Ct);

        var refused = await Assert.ThrowsAsync<ImageRefusedException>(() => Gate().CheckAsync("staging", image.ToString(), Ct));

        Assert.IsType<ImageVerdict.Unsigned>(refused.Verdict);
        Assert.Contains("staging enforces signed images", refused.Message);
        Assert.Contains("unsigned", refused.Message);
        Assert.Contains("./build.sh Push", refused.Message);
        Assert.Equal(before, await sandbox.Repository("reader").SyncAsync(Ct));
    }

    [Fact]
    public async Task A_digest_signed_with_a_published_key_passes_and_one_signed_with_another_key_is_refused()
    {
        await PublishAsync(key);
        using var stranger = SigningKey.Generate();

        Assert.IsType<ImageVerdict.Verified>(await Gate().CheckAsync("staging", (await ImageAsync(key)).ToString(), Ct));
        var refused = await Assert.ThrowsAsync<ImageRefusedException>(async () =>
            await Gate().CheckAsync("production", (await ImageAsync(stranger)).ToString(), Ct));
        Assert.IsType<ImageVerdict.Invalid>(refused.Verdict);
    }

    [Fact]
    public async Task Without_a_published_key_nothing_verifies()
    {
        var refused = await Assert.ThrowsAsync<ImageRefusedException>(async () =>
            await Gate().CheckAsync("staging", (await ImageAsync(key)).ToString(), Ct));

        Assert.Contains("keys/ folder holds no *.pub file", refused.Message);
    }

    [Fact]
    public async Task An_auditing_environment_lets_an_unsigned_digest_through_with_a_warning()
    {
        await PublishAsync(key);
        deploy.Edit("environments/staging.yaml", text => text + "verification: audit\n");

        var verdict = await Gate().CheckAsync("staging", (await ImageAsync(signedWith: null)).ToString(), Ct);

        Assert.IsType<ImageVerdict.Unsigned>(verdict);
        Assert.True(verdict.Permitted);
        Assert.Contains("staging audits image signatures", sandbox.Logs.Text);
    }
}
