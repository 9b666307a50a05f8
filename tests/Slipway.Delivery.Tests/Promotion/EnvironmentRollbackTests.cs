using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Promotion;
using Slipway.Delivery.Tests.ConfigRepo;

namespace Slipway.Delivery.Tests.Promotion;

/// <summary>Rollback through Git on a real bare config repo: reverts with Slipway-Rollback-Of, or restores an earlier revision.</summary>
public sealed class EnvironmentRollbackTests : IDisposable
{
    private readonly PromotionSandbox sandbox = new();
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => sandbox.Dispose();

    private EnvironmentRollback Rollback(string clone = "work") => new(sandbox.Repository(clone), sandbox.Log);

    [Fact]
    public async Task The_last_deploy_is_reverted_and_the_environment_returns_to_the_previous_image()
    {
        var first = await sandbox.DeployAsync("production", PromotionSandbox.Image('a'));
        var bad = await sandbox.DeployAsync("production", PromotionSandbox.Image('b'), run: "deploy-2");
        await sandbox.DeployAsync("staging", PromotionSandbox.Image('c'));   // other environments do not count

        var result = await Rollback().RollBackAsync("production", "rollback-1", cancellationToken: Token);

        Assert.True(result.Commit.Changed);
        Assert.Equal(bad.Sha, result.RolledBackCommit);
        Assert.Equal(PromotionSandbox.Image('a'), result.PreviousImage);
        Assert.Equal(PromotionSandbox.Image('b'), result.ReplacedImage);
        var head = (await sandbox.Repository("reader").HistoryAsync("production", Token))[0];
        Assert.Equal(result.Commit.Sha, head.Sha);
        Assert.Equal(new DeploymentTrailers("production", PromotionSandbox.Image('a'), PromotionSandbox.SourceCommit,
            new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero), "rollback-1", RollbackOf: bad.Sha), head.Deployment);
        // Git now holds exactly the files of the first deploy.
        var diff = await GitSandbox.GitAsync(sandbox.Git.BareRepository, "diff", first.Sha, result.Commit.Sha, "--", "environments/production/");
        Assert.Empty(diff.Trim());
    }

    [Fact]
    public async Task A_second_rollback_skips_the_deploy_already_rolled_back_and_reverts_the_one_before()
    {
        await sandbox.DeployAsync("production", PromotionSandbox.Image('a'));
        var second = await sandbox.DeployAsync("production", PromotionSandbox.Image('b'), run: "deploy-2");
        var third = await sandbox.DeployAsync("production", PromotionSandbox.Image('c'), run: "deploy-3");

        var once = await Rollback().RollBackAsync("production", "rollback-1", cancellationToken: Token);
        var twice = await Rollback("other").RollBackAsync("production", "rollback-2", cancellationToken: Token);

        Assert.Equal(third.Sha, once.RolledBackCommit);
        Assert.Equal(PromotionSandbox.Image('b'), once.PreviousImage);
        Assert.Equal(second.Sha, twice.RolledBackCommit);
        Assert.Equal(PromotionSandbox.Image('a'), twice.PreviousImage);
        Assert.Equal(PromotionSandbox.Image('a'), await sandbox.Repository("reader").CurrentImageAsync("production", Token));
    }

    [Fact]
    public async Task The_first_deploy_cannot_be_reverted_and_nothing_is_committed()
    {
        await sandbox.DeployAsync("production", PromotionSandbox.Image('a'));
        var head = await sandbox.HeadAsync();

        var refused = await Assert.ThrowsAsync<RollbackRefusedException>(() => Rollback().RollBackAsync("production", "rollback-1", cancellationToken: Token));

        Assert.Contains("first deploy", refused.Message);
        Assert.Contains("./build.sh Deploy --environment production", refused.Message);
        Assert.Equal(head, await sandbox.HeadAsync());
    }

    [Fact]
    public async Task Rolling_back_to_a_digest_restores_the_files_of_its_newest_deploy_as_a_rollback_of_the_head()
    {
        var first = await sandbox.DeployAsync("production", PromotionSandbox.Image('a'));
        await sandbox.DeployAsync("production", PromotionSandbox.Image('b'), run: "deploy-2");
        var third = await sandbox.DeployAsync("production", PromotionSandbox.Image('c'), run: "deploy-3");

        var result = await Rollback().RollBackAsync("production", "rollback-1", "sha256:" + new string('a', 64), Token);

        Assert.Equal(PromotionSandbox.Image('a'), result.PreviousImage);
        Assert.Equal(third.Sha, result.RolledBackCommit);
        var head = (await sandbox.Repository("reader").HistoryAsync("production", Token))[0];
        Assert.Equal(third.Sha, head.Deployment!.RollbackOf);
        Assert.Equal(PromotionSandbox.Image('a'), head.Deployment.Image);
        var diff = await GitSandbox.GitAsync(sandbox.Git.BareRepository, "diff", first.Sha, result.Commit.Sha, "--", "environments/production/");
        Assert.Empty(diff.Trim());
    }

    [Fact]
    public async Task Rolling_back_to_a_revision_restores_that_revisions_files()
    {
        await sandbox.DeployAsync("production", PromotionSandbox.Image('a'));
        var second = await sandbox.DeployAsync("production", PromotionSandbox.Image('b'), run: "deploy-2");
        await sandbox.DeployAsync("production", PromotionSandbox.Image('c'), run: "deploy-3");

        var result = await Rollback().RollBackAsync("production", "rollback-1", second.Sha[..10], Token);

        Assert.Equal(PromotionSandbox.Image('b'), result.PreviousImage);
        Assert.Equal(PromotionSandbox.Image('b'), await sandbox.Repository("reader").CurrentImageAsync("production", Token));
    }

    [Fact]
    public async Task Rolling_back_to_a_revision_removes_a_file_it_did_not_have()
    {
        var first = await sandbox.DeployAsync("production", PromotionSandbox.Image('a'));
        await sandbox.DeployAsync("production", PromotionSandbox.Image('b'), run: "deploy-2");
        await sandbox.Repository("other").CommitAsync("environments/production",
            (work, token) => File.WriteAllTextAsync(Path.Combine(work, "environments", "production", "extra.yaml"), "kind: ConfigMap\n", token),
            "A file the first deploy did not have\n", Token);

        await Rollback().RollBackAsync("production", "rollback-1", first.Sha, Token);

        var files = await GitSandbox.GitAsync(sandbox.Git.BareRepository, "ls-tree", "--name-only", "main", "environments/production/");
        Assert.Equal(["configmap.yaml", "deployment.yaml", "service.yaml"],
            files.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(PromotionSandbox.Image('a'), await sandbox.Repository("reader").CurrentImageAsync("production", Token));
    }

    [Fact]
    public async Task Located_without_a_file_read_a_rollback_names_the_revision_whose_files_it_restores_and_the_commit_then_holds_them()
    {
        var first = await sandbox.DeployAsync("production", PromotionSandbox.Image('a'));
        var second = await sandbox.DeployAsync("production", PromotionSandbox.Image('b'), run: "deploy-2");
        var history = await sandbox.Repository("reader").HistoryAsync("production", Token);

        var revert = EnvironmentRollback.Locate("production", to: null, history);
        var restore = EnvironmentRollback.Locate("production", "sha256:" + new string('a', 64), history);

        Assert.Equal((second.Sha, (string?)null, second.Sha + "^"), (revert.Undone.Sha, revert.Source?.Sha, revert.FilesAt));
        Assert.Equal((second.Sha, first.Sha, first.Sha), (restore.Undone.Sha, restore.Source?.Sha, restore.FilesAt));
        var result = await Rollback().RollBackAsync("production", "rollback-1", cancellationToken: Token);
        var tree = await GitSandbox.GitAsync(sandbox.Git.BareRepository, "rev-parse", $"{revert.FilesAt}:environments/production", $"{result.Commit.Sha}:environments/production");
        Assert.Single(tree.Split('\n', StringSplitOptions.RemoveEmptyEntries).Distinct());
    }

    [Fact]
    public async Task A_revert_of_a_deploy_that_later_commits_followed_names_no_revision_to_restore()
    {
        await sandbox.DeployAsync("production", PromotionSandbox.Image('a'));
        var second = await sandbox.DeployAsync("production", PromotionSandbox.Image('b'), run: "deploy-2");
        await sandbox.Repository("other").CommitAsync("environments/production",
            (work, token) => File.WriteAllTextAsync(Path.Combine(work, "environments", "production", "extra.yaml"), "kind: ConfigMap\n", token),
            "A hand edit after the deploy\n", Token);

        var target = EnvironmentRollback.Locate("production", to: null, await sandbox.Repository("reader").HistoryAsync("production", Token));

        // The revert keeps the later edit: files that never ran together, so no earlier revision holds them.
        Assert.Equal(second.Sha, target.Undone.Sha);
        Assert.Null(target.FilesAt);
    }

    [Fact]
    public async Task An_unknown_revision_or_digest_is_refused_naming_it_and_nothing_is_committed()
    {
        await sandbox.DeployAsync("production", PromotionSandbox.Image('a'));
        await sandbox.DeployAsync("production", PromotionSandbox.Image('b'), run: "deploy-2");
        var head = await sandbox.HeadAsync();

        var digest = await Assert.ThrowsAsync<RollbackRefusedException>(() =>
            Rollback().RollBackAsync("production", "rollback-1", "sha256:" + new string('f', 64), Token));
        var revision = await Assert.ThrowsAsync<RollbackRefusedException>(() => Rollback().RollBackAsync("production", "rollback-1", "deadbeef", Token));

        Assert.Contains("never ran sha256:" + new string('f', 64), digest.Message);
        Assert.Contains("'deadbeef' is no config revision", revision.Message);
        Assert.Equal(head, await sandbox.HeadAsync());
    }
}
