using Slipway.Agent.Backends;
using Slipway.Agent.ConfigRepo;
using Slipway.Agent.Rollbacks;
using Slipway.Agent.Sync;
using Slipway.Agent.Tests.Fakes;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Agent.Verification;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Git;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Promotion;

namespace Slipway.Agent.Tests;

/// <summary>
/// An operator's rollback made by the agent, on a real bare config repo, the agent's mirror and its own clone, with a
/// backend that records what it is asked: traffic moves to the warm revision before the commit exists only when the
/// commit will hold exactly that revision's files; the environment's turn is held until the agent fetched the commit;
/// a refused or failed rollback leaves Git as it was and Git's revision in charge.
/// </summary>
public sealed class OperatorRollbackTests : IAsyncLifetime
{
    const string Environment = "staging";
    static readonly string ImageA = "127.0.0.1:5000/beacon@sha256:" + new string('a', 64);
    static readonly string ImageB = "127.0.0.1:5000/beacon@sha256:" + new string('b', 64);
    static readonly string ImageC = "127.0.0.1:5000/beacon@sha256:" + new string('c', 64);
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    readonly string directory = Directory.CreateTempSubdirectory("slipway-operator-rollback-").FullName;
    readonly ILogger log = TestLogger.Create("operator-rollback");
    readonly StatusBoard board = new([Environment]);
    readonly SyncTrigger trigger = new();
    readonly EnvironmentGates gates = new();
    readonly FakeImageVerification registry = new();
    readonly RecordingBackend backend;
    ImageGate gate = null!;
    TestConfigRepo repo = null!;
    ConfigRepoMirror mirror = null!;

    public OperatorRollbackTests() => backend = new RecordingBackend(gates, registry);

    /// <summary>What the head start asked the backend to start, and what held when it did.</summary>
    public sealed record StartAhead(string Image, string Revision, bool IsRollback, int RegistryChecks, bool TurnHeld);

    public async ValueTask InitializeAsync()
    {
        repo = await TestConfigRepo.CreateAsync(directory);
        mirror = new ConfigRepoMirror(repo.Bare, Path.Combine(directory, "mirror.git"), "main", log);
        gate = new ImageGate(registry, TimeProvider.System);
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    async Task<string> DeployAsync(string image, int run, string verification = SlipwayMetadata.VerificationAudit) =>
        await repo.CommitFilesAsync(Environment, TestConfigRepo.Render(Environment, image, 2, 8081, "tests", verification: verification).Files,
            TestConfigRepo.DeployMessage(Environment, image, $"deploy-{run}"));

    /// <summary>What the pull loop knows after a fetch: the head, applied in the environment.</summary>
    async Task<string> AgentFetchedAndAppliedAsync()
    {
        var head = (await mirror.FetchAsync(Ct))!;
        board.Fetched(head, DateTimeOffset.UtcNow);
        board.Update(Environment, s => s with { AppliedRevision = head });
        return head;
    }

    /// <summary>The pull loop's part: fetch when a sync is asked for.</summary>
    async Task FetchOnRequestAsync()
    {
        if (await trigger.WaitAsync(TimeSpan.FromSeconds(60), Ct))
            board.Fetched(await mirror.FetchAsync(Ct), DateTimeOffset.UtcNow);
    }

    OperatorRollback Rollbacks() =>
        new(new ConfigRepository(new ConfigRepositoryOptions { Url = repo.Bare, WorkDirectory = Path.Combine(directory, "agent-clone") }, log),
            gates, trigger, board, new WarmSwitch(mirror, backend, board, log), TimeProvider.System, log,
            HeadStart()) { FetchWait = TimeSpan.FromSeconds(60) };

    RollbackHeadStart HeadStart(string allowedRegistry = "127.0.0.1:*", TimeSpan? turnWait = null) =>
        new(mirror, gate, backend, gates, board, new SyncPolicy([allowedRegistry], 10, FolderLimits.Default), log) { TurnWait = turnWait ?? TimeSpan.FromSeconds(1) };

    Task<string> RemoteHeadAsync() => Processes.RunAsync("git", ["--git-dir", repo.Bare, "rev-parse", "main"], cancellationToken: Ct).ContinueWith(t => t.Result.Trim(), Ct);

    [Theory]
    [InlineData(null)]
    [InlineData("sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task A_rollback_to_the_warm_revision_moves_traffic_before_its_commit_and_no_sync_runs_until_the_agent_fetched_it(string? to)
    {
        var first = await DeployAsync(ImageA, 1);
        var bad = await DeployAsync(ImageB, 2);
        await AgentFetchedAndAppliedAsync();
        backend.Warm = new KeptWarm(first, ImageA);
        string? remoteHeadAtSwitch = null;
        Task<string?>? syncTurn = null;
        backend.OnSwitch = async () =>
        {
            remoteHeadAtSwitch = await RemoteHeadAsync();
            // A sync asking for the environment's turn right after the switch: it may only run at the rollback's commit.
            syncTurn = gates.EnterAsync(Environment, Ct).ContinueWith(turn =>
            {
                using (turn.Result) return board.Head;
            }, Ct);
        };
        var pullLoop = FetchOnRequestAsync();

        var result = await Rollbacks().RollBackAsync(Environment, to, "rollback-1", Ct);

        Assert.NotNull(result.SwitchedAt);
        Assert.Equal(1, backend.Switches);
        Assert.Equal(0, registry.Checks);   // the warm replicas' image was checked when they started
        Assert.Equal(bad, remoteHeadAtSwitch);
        Assert.Equal(bad, result.Rollback.RolledBackCommit);
        Assert.Equal(ImageA, result.Rollback.PreviousImage);
        Assert.True(result.Rollback.Commit.Changed);
        Assert.Equal(result.Rollback.Commit.Sha, await RemoteHeadAsync());
        await pullLoop;
        Assert.Equal(result.Rollback.Commit.Sha, await syncTurn!);
        // The commit holds exactly the files the warm replicas were started from.
        var trees = await Processes.RunAsync("git", ["--git-dir", repo.Bare, "rev-parse", $"{first}:environments/{Environment}", $"{result.Rollback.Commit.Sha}:environments/{Environment}"], cancellationToken: Ct);
        Assert.Single(trees.Split('\n', StringSplitOptions.RemoveEmptyEntries).Distinct());
    }

    [Fact]
    public async Task A_rollback_to_other_files_than_the_warm_revisions_goes_through_git_alone()
    {
        var first = await DeployAsync(ImageA, 1);
        await DeployAsync(ImageB, 2);
        var third = await DeployAsync(ImageC, 3);
        await AgentFetchedAndAppliedAsync();
        // Reverting the third deploy returns to the second's files; only the first's replicas are warm.
        backend.Warm = new KeptWarm(first, ImageA);

        var result = await Rollbacks().RollBackAsync(Environment, null, "rollback-1", Ct);

        Assert.Null(result.SwitchedAt);
        Assert.Equal(0, backend.Switches);
        Assert.Equal(third, result.Rollback.RolledBackCommit);
        Assert.Equal(ImageB, result.Rollback.PreviousImage);
        Assert.Equal(result.Rollback.Commit.Sha, await RemoteHeadAsync());
        Assert.True(await trigger.WaitAsync(TimeSpan.FromSeconds(5), Ct), "the agent asks for a sync of the commit");
    }

    [Fact]
    public async Task A_rollback_with_nothing_warm_checks_the_version_it_returns_to_and_starts_its_replicas_beside_its_commit_in_the_environments_turn()
    {
        await repo.CommitPublicKeyAsync("signing", "-----BEGIN PUBLIC KEY-----\nA\n-----END PUBLIC KEY-----\n");
        var first = await DeployAsync(ImageA, 1, SlipwayMetadata.VerificationEnforce);
        await DeployAsync(ImageB, 2, SlipwayMetadata.VerificationEnforce);
        await AgentFetchedAndAppliedAsync();
        registry.Sign(ImageA);

        var result = await Rollbacks().RollBackAsync(Environment, null, "rollback-1", Ct);

        Assert.Null(result.SwitchedAt);
        Assert.Equal(ImageA, result.Rollback.PreviousImage);
        var start = await backend.StartedAhead.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        // The files the rollback restores, as a rollback, after their image verified, while no sync could run.
        Assert.Equal(ImageA, start.Image);
        Assert.Equal(first, start.Revision);
        Assert.True(start.IsRollback);
        Assert.Equal(1, start.RegistryChecks);
        Assert.True(start.TurnHeld);
        // The sync of the commit asks the gate about the same image and keys: answered without the registry.
        var head = (await mirror.FetchAsync(Ct))!;
        var files = (await mirror.ReadEnvironmentAsync(head, Environment, FolderLimits.Default, Ct))!;
        var admission = await gate.AdmitAsync(Environment, EnvironmentManifests.Parse(Environment, files),
            await mirror.ReadFolderAsync(head, SlipwayMetadata.KeysFolder, Ct), Ct);
        Assert.Equal(ImageAdmissionOutcome.Verified, admission.Outcome);
        Assert.Equal(1, registry.Checks);
    }

    [Fact]
    public async Task Nothing_starts_ahead_of_the_commit_for_an_image_that_does_not_verify_or_that_the_agents_policy_refuses()
    {
        await repo.CommitPublicKeyAsync("signing", "-----BEGIN PUBLIC KEY-----\nA\n-----END PUBLIC KEY-----\n");
        await DeployAsync(ImageA, 1, SlipwayMetadata.VerificationEnforce);
        await DeployAsync(ImageB, 2, SlipwayMetadata.VerificationEnforce);
        await AgentFetchedAndAppliedAsync();

        await HeadStart("registry.example.com").StartAsync(Environment, null, Ct);
        Assert.Equal(0, registry.Checks);   // refused by the policy before the registry is asked
        await HeadStart().StartAsync(Environment, null, Ct);   // ImageA is not signed
        Assert.Equal(1, registry.Checks);

        Assert.False(backend.StartedAhead.Task.IsCompleted);
    }

    [Fact]
    public async Task An_agent_checks_what_a_rollback_would_return_to_ahead_of_any_so_the_first_rollback_after_a_restart_finds_the_verdict_cached()
    {
        await repo.CommitPublicKeyAsync("signing", "-----BEGIN PUBLIC KEY-----\nA\n-----END PUBLIC KEY-----\n");
        await DeployAsync(ImageA, 1, SlipwayMetadata.VerificationEnforce);
        await DeployAsync(ImageB, 2, SlipwayMetadata.VerificationEnforce);
        await AgentFetchedAndAppliedAsync();
        registry.Sign(ImageA);

        await HeadStart().PrepareAsync(Environment, Ct);

        Assert.Equal(1, registry.Checks);
        Assert.False(backend.StartedAhead.Task.IsCompleted);   // nothing starts
        await Rollbacks().RollBackAsync(Environment, null, "rollback-1", Ct);
        Assert.Equal(ImageA, (await backend.StartedAhead.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct)).Image);
        Assert.Equal(1, registry.Checks);
    }

    [Fact]
    public async Task Nothing_starts_ahead_of_the_commit_while_a_sync_holds_the_environments_turn()
    {
        await DeployAsync(ImageA, 1);
        await DeployAsync(ImageB, 2);
        await AgentFetchedAndAppliedAsync();
        using var rollout = await gates.EnterAsync(Environment, Ct);

        await HeadStart(turnWait: TimeSpan.FromMilliseconds(50)).StartAsync(Environment, null, Ct);

        Assert.False(backend.StartedAhead.Task.IsCompleted);
    }

    [Fact]
    public async Task A_refused_rollback_moves_no_traffic_and_commits_nothing()
    {
        var first = await DeployAsync(ImageA, 1);
        var bad = await DeployAsync(ImageB, 2);
        await AgentFetchedAndAppliedAsync();
        backend.Warm = new KeptWarm(first, ImageA);

        var refused = await Assert.ThrowsAsync<RollbackRefusedException>(() => Rollbacks().RollBackAsync(Environment, "0000000", "rollback-1", Ct));

        Assert.Contains("'0000000' is no config revision", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, backend.Switches);
        Assert.Equal(bad, await RemoteHeadAsync());
    }

    [Fact]
    public async Task A_commit_that_fails_after_the_switch_gives_the_turn_back_and_asks_for_the_sync_that_applies_git_again()
    {
        var first = await DeployAsync(ImageA, 1);
        var bad = await DeployAsync(ImageB, 2);
        await AgentFetchedAndAppliedAsync();
        backend.Warm = new KeptWarm(first, ImageA);
        var hook = Path.Combine(repo.Bare, "hooks", "pre-receive");
        await File.WriteAllTextAsync(hook, "#!/bin/sh\necho 'pushes are closed' >&2\nexit 1\n", Ct);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        await Assert.ThrowsAsync<GitException>(() => Rollbacks().RollBackAsync(Environment, null, "rollback-1", Ct));

        Assert.Equal(1, backend.Switches);
        Assert.Equal(bad, await RemoteHeadAsync());
        using var turn = await gates.TryEnterAsync(Environment, TimeSpan.Zero, Ct);
        Assert.NotNull(turn);
        Assert.True(await trigger.WaitAsync(TimeSpan.FromSeconds(5), Ct), "a sync is asked for, which routes Git's revision again");
    }

    /// <summary>A backend that only keeps a revision warm and records the switches it is asked for.</summary>
    sealed class RecordingBackend(EnvironmentGates gates, FakeImageVerification registry) : IEnvironmentBackend
    {
        public KeptWarm? Warm { get; set; }
        public Func<Task>? OnSwitch { get; set; }
        public int Switches { get; private set; }
        public string Name => "recording";

        public KeptWarm? KeptWarm(string environment) => Warm;

        public async Task<bool> SwitchToWarmAsync(string environment, CancellationToken cancellationToken)
        {
            Switches++;
            if (OnSwitch is not null) await OnSwitch();
            return true;
        }

        public IReadOnlyList<string> Check(EnvironmentManifests manifests) => [];

        public TaskCompletionSource<StartAhead> StartedAhead { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<int> StartAheadAsync(EnvironmentManifests manifests, string revision, CancellationToken cancellationToken)
        {
            using var turn = await gates.TryEnterAsync(manifests.Environment, TimeSpan.Zero, cancellationToken);
            StartedAhead.TrySetResult(new StartAhead(manifests.Image!, revision, manifests.IsRollback, registry.Checks, TurnHeld: turn is null));
            return 2;
        }

        public Task<BackendState> ApplyAsync(EnvironmentManifests manifests, string revision, IProgress<BackendState>? progress, CancellationToken cancellationToken) =>
            throw new NotSupportedException("a rollback never applies: the sync does");

        public Task<BackendState> GetStatusAsync(string environment, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task PruneAsync(string environment, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
