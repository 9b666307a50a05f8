using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Git;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Tests.Manifests;

namespace Slipway.Delivery.Tests.ConfigRepo;

/// <summary>The config repo against real git: a bare repo in a temp folder and clones of it.</summary>
public sealed class ConfigRepositoryTests : IDisposable
{
    private readonly GitSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    private static string Image(char hex) => "127.0.0.1:5000/beacon@sha256:" + new string(hex, 64);

    private static DeploymentTrailers Trailers(string environment, string image, string run = "run-1") =>
        new(environment, image, "0123456789abcdef0123456789abcdef01234567", new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.FromHours(1)), run);

    private async Task<CommitResult> DeployAsync(ConfigRepository repository, string environment, string image, string run = "run-1")
    {
        var rendered = ManifestRenderer.Render(DeployFolder.Repository, environment, image);
        return await new GitOpsCommitter(repository, sandbox.Logs.Logger()).CommitEnvironmentAsync(rendered, Trailers(environment, image, run), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task First_use_creates_and_seeds_the_bare_repo()
    {
        var repository = sandbox.Repository();

        var head = await repository.SyncAsync(TestContext.Current.CancellationToken);

        Assert.True(File.Exists(Path.Combine(sandbox.BareRepository, "HEAD")));
        var seed = Assert.Single(await repository.HistoryAsync(cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(head, seed.Sha);
        Assert.Null(seed.Deployment);
        var files = await GitSandbox.GitAsync(sandbox.BareRepository, "ls-tree", "-r", "--name-only", "main");
        Assert.Equal(["README.md", "environments/.gitkeep"], files.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(head, await repository.SyncAsync(TestContext.Current.CancellationToken));   // seeded once only
    }

    [Fact]
    public async Task A_later_commit_contains_an_earlier_deploy_but_not_the_reverse()
    {
        var repository = sandbox.Repository();
        var staging = await DeployAsync(repository, "staging", Image('a'));
        var production = await DeployAsync(sandbox.Repository("other"), "production", Image('b'));   // another pipeline, its own clone

        Assert.True(await repository.ContainsAsync(production.Sha, staging.Sha, TestContext.Current.CancellationToken));
        Assert.True(await repository.ContainsAsync(staging.Sha, staging.Sha, TestContext.Current.CancellationToken));
        Assert.False(await repository.ContainsAsync(staging.Sha, production.Sha, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Reads_by_commit_id_and_the_ancestry_of_known_commits_need_no_fetch()
    {
        var repository = sandbox.Repository();
        var first = await DeployAsync(repository, "staging", Image('a'));
        var second = await DeployAsync(repository, "staging", Image('b'));
        // A commit without the file is a miss, which is asked again after a fetch.
        Assert.Null(await repository.ReadImageAsync("production", second.Sha, TestContext.Current.CancellationToken));
        // The remote breaks (its objects gone): whatever still answers was answered from the clone, without a fetch.
        var objects = Path.Combine(sandbox.BareRepository, "objects");
        Directory.Move(objects, objects + ".away");
        try
        {
            var token = TestContext.Current.CancellationToken;
            Assert.Equal(Image('a'), (await repository.ReadEnvironmentAsync("staging", first.Sha, token))?.Image);
            Assert.Equal(Image('a'), (await repository.ReadEnvironmentAsync("staging", second.Sha + "^", token))?.Image);
            Assert.Equal(Image('b'), await repository.ReadImageAsync("staging", second.Sha, token));
            Assert.True(await repository.ContainsAsync(second.Sha, first.Sha, token));
            Assert.False(await repository.ContainsAsync(first.Sha, second.Sha, token));
            // The remote's head, or a name a push can move, is fetched first.
            await Assert.ThrowsAsync<GitException>(() => repository.ReadEnvironmentAsync("staging", cancellationToken: token));
            await Assert.ThrowsAsync<GitException>(() => repository.ReadEnvironmentAsync("staging", "origin/main", token));
            await Assert.ThrowsAsync<GitException>(() => repository.ReadImageAsync("staging", cancellationToken: token));
        }
        finally
        {
            Directory.Move(objects + ".away", objects);
        }
    }

    [Fact]
    public async Task A_deployment_commit_carries_parseable_trailers()
    {
        var repository = sandbox.Repository();
        var result = await DeployAsync(repository, "staging", Image('a'));

        Assert.True(result.Changed);
        var commit = Assert.Single(await repository.HistoryAsync("staging", TestContext.Current.CancellationToken));
        Assert.Equal(result.Sha, commit.Sha);
        Assert.Equal(Trailers("staging", Image('a')), commit.Deployment);
        Assert.Equal(Image('a'), await repository.CurrentImageAsync("staging", TestContext.Current.CancellationToken));

        // git itself reads the trailers (interpret-trailers format), not only our parser.
        var parsed = await GitSandbox.GitAsync(sandbox.BareRepository, "log", "-1", "--format=%(trailers:only,unfold)", "main");
        Assert.Equal(
            [
                "Slipway-Environment: staging", $"Slipway-Image: {Image('a')}", "Slipway-Source-Commit: 0123456789abcdef0123456789abcdef01234567",
                "Slipway-Source-Time: 2026-11-28T12:00:00+01:00", "Slipway-Run: run-1",
            ],
            parsed.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var tree = await GitSandbox.GitAsync(sandbox.BareRepository, "ls-tree", "-r", "--name-only", "main", "environments/staging/");
        Assert.Equal(["environments/staging/configmap.yaml", "environments/staging/deployment.yaml", "environments/staging/service.yaml"],
            tree.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Unchanged_input_makes_no_commit()
    {
        var repository = sandbox.Repository();
        var first = await DeployAsync(repository, "staging", Image('a'));
        var again = await DeployAsync(repository, "staging", Image('a'), run: "run-2");

        Assert.False(again.Changed);
        Assert.Equal("unchanged", again.Outcome);
        Assert.Equal(first.Sha, again.Sha);
        Assert.Equal(2, (await repository.HistoryAsync(cancellationToken: TestContext.Current.CancellationToken)).Count);   // seed + one deploy
    }

    [Fact]
    public async Task A_stale_clone_rebases_onto_the_other_pipeline_push()
    {
        var mine = sandbox.Repository("mine");
        var theirs = sandbox.Repository("theirs");
        await mine.SyncAsync(TestContext.Current.CancellationToken);
        await theirs.SyncAsync(TestContext.Current.CancellationToken);
        await DeployAsync(theirs, "production", Image('b'));

        var result = await DeployAsync(mine, "staging", Image('a'));

        Assert.True(result.Changed);
        var history = await mine.HistoryAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["staging", "production"], history.Take(2).Select(commit => commit.Deployment!.Environment));
        Assert.Equal(Image('b'), await mine.CurrentImageAsync("production", TestContext.Current.CancellationToken));
    }

    [Fact]
    [Trait("Tier", "Engine")] // a race between real git processes: a drill of the real-engine tier
    public async Task Six_concurrent_committers_of_different_environments_all_land()
    {
        using var deploy = DeployFolder.Copy();
        var environments = Enumerable.Range(1, 6).Select(index => $"team-{index}").ToList();
        var staging = File.ReadAllText(deploy.File("environments/staging.yaml"));
        foreach (var (environment, index) in environments.Select((environment, index) => (environment, index)))
            File.WriteAllText(deploy.File($"environments/{environment}.yaml"), staging.Replace("hostPort: 8081", $"hostPort: {9001 + index}", StringComparison.Ordinal));
        await sandbox.Repository("seeder").SyncAsync(TestContext.Current.CancellationToken);

        using var start = new Barrier(environments.Count);
        var results = await Task.WhenAll(environments.Select((environment, index) => Task.Run(async () =>
        {
            var repository = sandbox.Repository($"clone-{index}");
            await repository.SyncAsync(TestContext.Current.CancellationToken);
            var image = Image("abcdef"[index]);
            var rendered = ManifestRenderer.Render(deploy.Path, environment, image);
            start.SignalAndWait(TestContext.Current.CancellationToken);
            return await new GitOpsCommitter(repository, sandbox.Logs.Logger())
                .CommitEnvironmentAsync(rendered, Trailers(environment, image, $"run-{index}"), TestContext.Current.CancellationToken);
        })));

        Assert.All(results, result => Assert.True(result.Changed));
        var history = await sandbox.Repository("reader").HistoryAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(environments.Order(), history.Where(commit => commit.Deployment is not null).Select(commit => commit.Deployment!.Environment).Order());
        Assert.Equal(results.Select(result => result.Sha).Order(), history.Where(commit => commit.Deployment is not null).Select(commit => commit.Sha).Order());
        foreach (var (environment, index) in environments.Select((environment, index) => (environment, index)))
            Assert.Equal(Image("abcdef"[index]), await sandbox.Repository("reader").CurrentImageAsync(environment, TestContext.Current.CancellationToken));
        TestContext.Current.TestOutputHelper?.WriteLine($"push attempts per committer: {string.Join(", ", results.Select(result => result.PushAttempts))}");
    }

    [Fact]
    public async Task A_commit_without_a_fetch_first_lands_on_top_of_what_another_pipeline_pushed_since_the_last_read()
    {
        var token = TestContext.Current.CancellationToken;
        var repository = sandbox.Repository();
        await repository.HistoryAsync(cancellationToken: token);   // the read a rollback makes before its commit
        var other = await DeployAsync(sandbox.Repository("other"), "production", Image('b'));

        var result = await repository.CommitAsync("notes", async (work, ct) =>
        {
            Directory.CreateDirectory(Path.Combine(work, "notes"));
            await File.WriteAllTextAsync(Path.Combine(work, "notes", "note.txt"), "note\n", ct);
        }, "Add a note\n", token, fetchFirst: false);

        Assert.True(result.Changed);
        Assert.Equal(2, result.PushAttempts);   // refused once: the remote had moved
        Assert.Equal(other.Sha, (await GitSandbox.GitAsync(sandbox.BareRepository, "rev-parse", "main^")).Trim());
        Assert.Equal(result.Sha, (await GitSandbox.GitAsync(sandbox.BareRepository, "rev-parse", "main")).Trim());
    }

    [Fact]
    [Trait("Tier", "Engine")] // a race between real git processes: a drill of the real-engine tier
    public async Task Six_concurrent_committers_of_different_files_all_land()
    {
        await sandbox.Repository("seeder").SyncAsync(TestContext.Current.CancellationToken);
        using var start = new Barrier(6);
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(index => Task.Run(async () =>
        {
            var repository = sandbox.Repository($"clone-{index}");
            await repository.SyncAsync(TestContext.Current.CancellationToken);
            start.SignalAndWait(TestContext.Current.CancellationToken);
            return await repository.CommitAsync("notes", async (work, token) =>
            {
                Directory.CreateDirectory(Path.Combine(work, "notes"));
                await File.WriteAllTextAsync(Path.Combine(work, "notes", $"note-{index}.txt"), $"note {index}\n", token);
            }, $"Add note {index}\n", TestContext.Current.CancellationToken);
        })));

        Assert.All(results, result => Assert.True(result.Changed));
        var files = await GitSandbox.GitAsync(sandbox.BareRepository, "ls-tree", "-r", "--name-only", "main", "notes/");
        Assert.Equal(Enumerable.Range(0, 6).Select(index => $"notes/note-{index}.txt"), files.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(7, (await sandbox.Repository("reader").HistoryAsync(cancellationToken: TestContext.Current.CancellationToken)).Count);
    }

    [Fact]
    [Trait("Tier", "Engine")] // a race between real git processes: a drill of the real-engine tier
    public async Task Concurrent_deploys_of_the_same_environment_all_land_and_the_last_wins()
    {
        await sandbox.Repository("seeder").SyncAsync(TestContext.Current.CancellationToken);
        using var start = new Barrier(4);
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(index => Task.Run(async () =>
        {
            var repository = sandbox.Repository($"clone-{index}");
            await repository.SyncAsync(TestContext.Current.CancellationToken);
            var rendered = ManifestRenderer.Render(DeployFolder.Repository, "staging", Image("abcd"[index]));
            start.SignalAndWait(TestContext.Current.CancellationToken);
            return await new GitOpsCommitter(repository, sandbox.Logs.Logger())
                .CommitEnvironmentAsync(rendered, Trailers("staging", Image("abcd"[index])), TestContext.Current.CancellationToken);
        })));

        var reader = sandbox.Repository("reader");
        var history = await reader.HistoryAsync("staging", TestContext.Current.CancellationToken);
        Assert.Equal(4, history.Count);
        Assert.Equal("abcd".Select(Image).Order(), history.Select(commit => commit.Deployment!.Image).Order());
        Assert.Equal(history[0].Deployment!.Image, await reader.CurrentImageAsync("staging", TestContext.Current.CancellationToken));
        Assert.Empty(ManifestValidator.Validate((await reader.ReadEnvironmentAsync("staging", cancellationToken: TestContext.Current.CancellationToken))!));
    }

    [Fact]
    public async Task A_revert_restores_the_previous_image_and_names_the_reverted_commit()
    {
        var repository = sandbox.Repository();
        await DeployAsync(repository, "staging", Image('a'));
        var bad = await DeployAsync(repository, "staging", Image('b'));

        var rollback = await repository.RevertAsync(bad.Sha, Trailers("staging", Image('a'), "run-rollback"), TestContext.Current.CancellationToken);

        Assert.True(rollback.Changed);
        Assert.Equal(Image('a'), await repository.CurrentImageAsync("staging", TestContext.Current.CancellationToken));
        var head = (await repository.HistoryAsync("staging", TestContext.Current.CancellationToken))[0];
        Assert.Equal(rollback.Sha, head.Sha);
        Assert.Equal(bad.Sha, head.Deployment!.RollbackOf);
        Assert.Equal("run-rollback", head.Deployment.Run);
        Assert.Equal(bad.Sha, head.Trailers["Slipway-Rollback-Of"]);
    }

    [Fact]
    public async Task Reverting_the_first_deploy_removes_the_environment()
    {
        var repository = sandbox.Repository();
        await DeployAsync(repository, "production", Image('a'));
        var first = await DeployAsync(repository, "staging", Image('a'));

        var rollback = await repository.RevertAsync(first.Sha, Trailers("staging", Image('a'), "run-rollback"), TestContext.Current.CancellationToken);

        Assert.True(rollback.Changed);
        Assert.Null(await repository.ReadEnvironmentAsync("staging", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(Image('a'), await repository.CurrentImageAsync("production", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_revert_that_conflicts_with_later_commits_is_a_clear_error_and_leaves_the_repo_as_it_was()
    {
        var repository = sandbox.Repository();
        var first = await DeployAsync(repository, "staging", Image('a'));
        await DeployAsync(repository, "staging", Image('b'));
        var head = await repository.SyncAsync(TestContext.Current.CancellationToken);

        var exception = await Assert.ThrowsAsync<GitException>(() =>
            repository.RevertAsync(first.Sha, Trailers("staging", Image('a'), "run-rollback"), TestContext.Current.CancellationToken));

        Assert.Contains("cannot be reverted cleanly", exception.Message);
        Assert.Equal(head, await repository.SyncAsync(TestContext.Current.CancellationToken));
        Assert.Equal(Image('b'), await repository.CurrentImageAsync("staging", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Reading_an_environment_at_an_older_revision()
    {
        var repository = sandbox.Repository();
        var first = await DeployAsync(repository, "staging", Image('a'));
        await DeployAsync(repository, "staging", Image('b'));

        var old = await repository.ReadEnvironmentAsync("staging", first.Sha, TestContext.Current.CancellationToken);
        Assert.Equal(Image('a'), old!.Image);
        Assert.Null(await repository.ReadEnvironmentAsync("production", cancellationToken: TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Mismatched_trailers_are_refused_before_any_commit()
    {
        var repository = sandbox.Repository();
        var rendered = ManifestRenderer.Render(DeployFolder.Repository, "staging", Image('a'));
        var committer = new GitOpsCommitter(repository, sandbox.Logs.Logger());

        await Assert.ThrowsAsync<ArgumentException>(() => committer.CommitEnvironmentAsync(rendered, Trailers("production", Image('a')), TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ArgumentException>(() => committer.CommitEnvironmentAsync(rendered, Trailers("staging", Image('b')), TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ArgumentException>(() => committer.CommitEnvironmentAsync(rendered, Trailers("staging", Image('a'), run: "two\nlines"), TestContext.Current.CancellationToken));
        Assert.False(Directory.Exists(sandbox.BareRepository));
    }
}
