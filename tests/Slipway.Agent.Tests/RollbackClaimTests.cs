using Slipway.Agent.ConfigRepo;
using Slipway.Agent.Tests.Infrastructure;

namespace Slipway.Agent.Tests;

/// <summary>
/// Slipway-Rollback-Of lets a revision skip analysis only when it names a commit that deployed to the environment before
/// it: read by the agent's mirror from a real bare Git repo.
/// </summary>
public sealed class RollbackClaimTests : IAsyncLifetime
{
    static readonly string ImageA = "127.0.0.1:5000/beacon@sha256:" + new string('a', 64);
    static readonly string ImageB = "127.0.0.1:5000/beacon@sha256:" + new string('b', 64);
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    readonly string directory = Directory.CreateTempSubdirectory("slipway-rollback-claim-").FullName;
    TestConfigRepo repo = null!;
    ConfigRepoMirror mirror = null!;

    public async ValueTask InitializeAsync()
    {
        repo = await TestConfigRepo.CreateAsync(directory);
        mirror = new ConfigRepoMirror(repo.Bare, Path.Combine(directory, "mirror.git"), "main", TestLogger.Create("rollback-claim"));
    }

    async Task<string> CommitClaimingAsync(string image, string claimed) =>
        await repo.CommitFilesAsync("staging", TestConfigRepo.Render("staging", image, 1, 8081, "tests").Files,
            $"Roll back\n\nSlipway-Rollback-Of: {claimed}");

    [Fact]
    public async Task A_claim_naming_an_earlier_deploy_of_the_environment_holds()
    {
        await repo.CommitAsync("staging", ImageA, 1, 8081);
        var deployB = await repo.CommitAsync("staging", ImageB, 1, 8081);
        var rollback = await CommitClaimingAsync(ImageA, deployB);
        var head = await mirror.FetchAsync(Ct);

        Assert.Equal(new RollbackClaim(rollback, deployB, Deployed: true), await mirror.RollbackClaimAsync(head!, "staging", Ct));
    }

    [Fact]
    public async Task A_claim_naming_anything_else_does_not()
    {
        var deployA = await repo.CommitAsync("staging", ImageA, 1, 8081);
        var otherEnvironment = await repo.CommitAsync("production", ImageA, 1, 8080);
        string[] claims = [otherEnvironment, new string('d', 40), "HEAD", "--output=/tmp/x"];
        for (var i = 0; i < claims.Length; i++)
        {
            var claimed = claims[i];
            // Each claim changes the folder (the images alternate), so it is the environment's last change.
            var rollback = await CommitClaimingAsync(i % 2 == 0 ? ImageB : ImageA, claimed);
            var head = await mirror.FetchAsync(Ct);
            var claim = await mirror.RollbackClaimAsync(head!, "staging", Ct);
            Assert.Equal((rollback, claimed, false), (claim!.Commit, claim.Claimed, claim.Deployed));
        }
        var plain = await repo.CommitAsync("staging", ImageB, 1, 8081);   // the last claim left ImageA
        Assert.Null(await mirror.RollbackClaimAsync((await mirror.FetchAsync(Ct))!, "staging", Ct));
        Assert.NotEqual(deployA, plain);
    }

    public ValueTask DisposeAsync()
    {
        try { Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
