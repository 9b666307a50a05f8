using Slipway.Delivery.AgentApi;

namespace Slipway.Delivery.Tests.AgentApi;

/// <summary>Promote's and Rollback's waits on the agent, against a stub of the agent API (GET /status per the rollout contract).</summary>
public sealed class AgentRolloutWaitTests
{
    private const string Ours = "1111111111111111111111111111111111111111";
    private const string Later = "2222222222222222222222222222222222222222";
    private const string Stable = "3333333333333333333333333333333333333333";
    private const string Revert = "4444444444444444444444444444444444444444";
    private static readonly string NewDigest = "sha256:" + new string('b', 64);
    private static readonly string StableDigest = "sha256:" + new string('a', 64);
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static RolloutStatus Rollout(string revision, RolloutPhase phase, int step, IReadOnlyList<AnalysisResult>? analysis = null,
        string? message = null, string? rollback = null) =>
        new("canary", phase, revision, NewDigest, StableDigest, step, 3, step switch { 1 => 10, 2 => 25, _ => 50 }, null,
            analysis ?? [], [], message, rollback, DateTimeOffset.UtcNow.AddSeconds(-30), phase == RolloutPhase.Progressing ? null : DateTimeOffset.UtcNow);

    private static AgentStatus Status(string applied, string? image, RolloutStatus? rollout, EnvironmentHealth health = EnvironmentHealth.Healthy) =>
        new(applied, DateTimeOffset.UtcNow, null,
            [new EnvironmentStatus("production", applied, applied, image, 3, 3, health, null, 8080, null, null, null, rollout)]);

    private static AnalysisResult Passed(int step) =>
        new(step, 10, DateTimeOffset.UtcNow, 120, 0, 12, 500, 0, 11, AnalysisVerdict.Passed, "error rate 0.00% <= 1.00%, p95 12 ms <= 500 ms");

    [Fact]
    public async Task A_rollout_that_steps_through_and_succeeds_returns_its_status()
    {
        var (stub, agent) = await AgentApiStub.StartAsync(
            Status(Stable, StableDigest, null),
            Status(Stable, StableDigest, Rollout(Ours, RolloutPhase.Progressing, 1)),
            Status(Stable, StableDigest, Rollout(Ours, RolloutPhase.Progressing, 2, [Passed(1)])),
            Status(Ours, NewDigest, Rollout(Ours, RolloutPhase.Succeeded, 3, [Passed(1), Passed(2), Passed(3)])));
        await using var _ = stub;
        using var __ = agent;
        var seen = new List<RolloutPhase?>();

        var status = await agent.WaitForRolloutAsync("production", Ours, TimeSpan.FromSeconds(60),
            new Progress(s => seen.Add(s.Rollout?.Phase)), Token);

        Assert.Equal(RolloutPhase.Succeeded, status.Rollout!.Phase);
        Assert.Equal(3, status.Rollout.Analysis.Count);
        Assert.Equal([null, RolloutPhase.Progressing, RolloutPhase.Progressing, RolloutPhase.Succeeded], seen);
    }

    [Fact]
    public async Task An_aborted_rollout_fails_quoting_the_agents_message_the_failed_analysis_and_the_revert_commit()
    {
        var failed = new AnalysisResult(2, 25, DateTimeOffset.UtcNow, 90, 0.2, 15, 300, 0, 12, AnalysisVerdict.Failed, "error rate 20.00% > 1.00%");
        var (stub, agent) = await AgentApiStub.StartAsync(
            Status(Stable, StableDigest, Rollout(Ours, RolloutPhase.Progressing, 2, [Passed(1)])),
            Status(Revert, StableDigest, Rollout(Ours, RolloutPhase.Aborted, 2, [Passed(1), failed], "canary analysis failed at 25%", Revert)));
        await using var _ = stub;
        using var __ = agent;

        var aborted = await Assert.ThrowsAsync<RolloutAbortedException>(() => agent.WaitForRolloutAsync("production", Ours, TimeSpan.FromSeconds(60), cancellationToken: Token));

        Assert.Contains("canary analysis failed at 25%", aborted.Message);
        Assert.Contains("step 2 at 25%: error rate 20.00% > 1.00%", aborted.Message);
        Assert.Contains(Revert, aborted.Message);
        Assert.Contains(StableDigest, aborted.Message);
        Assert.Equal(Revert, aborted.Rollout.RollbackRevision);
    }

    [Fact]
    public async Task An_abort_reported_before_its_revert_is_waited_on_until_the_revert_commit_is_reported()
    {
        var (stub, agent) = await AgentApiStub.StartAsync(
            Status(Stable, StableDigest, Rollout(Ours, RolloutPhase.Aborted, 1, message: "analysis failed")),
            Status(Stable, StableDigest, Rollout(Ours, RolloutPhase.Aborted, 1, message: "analysis failed")),
            Status(Revert, StableDigest, Rollout(Ours, RolloutPhase.Aborted, 1, message: "analysis failed", rollback: Revert)));
        await using var _ = stub;
        using var __ = agent;

        var aborted = await Assert.ThrowsAsync<RolloutAbortedException>(() => agent.WaitForRolloutAsync("production", Ours, TimeSpan.FromSeconds(60), cancellationToken: Token));

        Assert.Equal(Revert, aborted.Rollout.RollbackRevision);
        Assert.Contains($"reverted the promotion in the config repo with {Revert}", aborted.Message);
    }

    [Fact]
    public async Task An_abort_whose_revert_is_never_reported_fails_after_the_grace_saying_so()
    {
        var (stub, client) = await AgentApiStub.StartAsync(Status(Stable, StableDigest, Rollout(Ours, RolloutPhase.Aborted, 1, message: "gate load-test answered 503")));
        await using var _ = stub;
        client.Dispose();
        using var agent = new AgentClient(client.BaseAddress) { RevertReportGrace = TimeSpan.FromSeconds(1) };

        var aborted = await Assert.ThrowsAsync<RolloutAbortedException>(() => agent.WaitForRolloutAsync("production", Ours, TimeSpan.FromSeconds(60), cancellationToken: Token));

        Assert.Contains("gate load-test answered 503", aborted.Message);
        Assert.Contains("the agent reported no revert commit", aborted.Message);
    }

    [Fact]
    public async Task A_finished_rollout_of_an_older_revision_is_not_taken_for_ours()
    {
        var (stub, agent) = await AgentApiStub.StartAsync(Status(Stable, StableDigest, Rollout(Stable, RolloutPhase.Succeeded, 3)));
        await using var _ = stub;
        using var __ = agent;

        var timedOut = await Assert.ThrowsAsync<AgentWaitException>(() => agent.WaitForRolloutAsync("production", Ours, TimeSpan.FromSeconds(2),
            cancellationToken: Token, contains: (_, _) => Task.FromResult(false)));

        Assert.Contains($"the rollout of revision {Ours} to 'production' did not finish within 2s", timedOut.Message);
        Assert.Contains("canary Succeeded at 333333333333", timedOut.Message);
    }

    [Fact]
    public async Task A_later_revision_that_contains_ours_counts_when_its_rollout_succeeded()
    {
        var (stub, agent) = await AgentApiStub.StartAsync(Status(Later, NewDigest, Rollout(Later, RolloutPhase.Succeeded, 3)));
        await using var _ = stub;
        using var __ = agent;

        var status = await agent.WaitForRolloutAsync("production", Ours, TimeSpan.FromSeconds(30), cancellationToken: Token,
            contains: (reported, _) => Task.FromResult(reported == Later));

        Assert.Equal(Later, status.Rollout!.Revision);
    }

    [Fact]
    public async Task An_agent_that_reports_no_rollout_at_all_counts_the_revision_applied_healthy()
    {
        var (stub, agent) = await AgentApiStub.StartAsync(
            Status(Stable, StableDigest, null),
            Status(Ours, NewDigest, null, EnvironmentHealth.Progressing),
            Status(Ours, NewDigest, null));
        await using var _ = stub;
        using var __ = agent;

        var status = await agent.WaitForRolloutAsync("production", Ours, TimeSpan.FromSeconds(60), cancellationToken: Token);

        Assert.Null(status.Rollout);
        Assert.Equal(Ours, status.AppliedRevision);
        Assert.Equal(EnvironmentHealth.Healthy, status.Health);
    }

    [Fact]
    public async Task A_revision_applied_healthy_while_the_rollout_shown_is_an_older_ones_counts_as_applied_without_a_rollout()
    {
        // The canary agent's first deploy or an unchanged image: a plain apply, the last (older) rollout still shown.
        var (stub, agent) = await AgentApiStub.StartAsync(
            Status(Stable, StableDigest, Rollout(Stable, RolloutPhase.Succeeded, 3)),
            Status(Ours, StableDigest, Rollout(Stable, RolloutPhase.Succeeded, 3)));
        await using var _ = stub;
        using var __ = agent;

        var status = await agent.WaitForRolloutAsync("production", Ours, TimeSpan.FromSeconds(60), cancellationToken: Token);

        Assert.Equal(Ours, status.AppliedRevision);
        Assert.False(await AgentClient.RolloutCovers(status, Ours, null, Token));
    }

    [Fact]
    public async Task Serving_is_reached_only_when_the_rollback_revision_is_applied_healthy_with_the_previous_image()
    {
        var (stub, agent) = await AgentApiStub.StartAsync(
            Status(Stable, NewDigest, null),                                           // not yet synced
            Status(Ours, NewDigest, null, EnvironmentHealth.Progressing),              // applied, still the bad image
            Status(Ours, StableDigest, Rollout(Ours, RolloutPhase.Progressing, 1)),    // a rollout still moving traffic
            Status(Ours, StableDigest, null));
        await using var _ = stub;
        using var __ = agent;

        var status = await agent.WaitForServingAsync("production", Ours, "127.0.0.1:5000/beacon@" + StableDigest, TimeSpan.FromSeconds(60), cancellationToken: Token);

        Assert.Equal(StableDigest, status.ImageDigest);
        Assert.Null(status.Rollout);
        Assert.True(stub.Requests >= 4);
    }

    [Fact]
    public async Task Serving_fails_at_once_when_the_agent_aborts_the_rollout_of_that_revision()
    {
        // A canary agent that rolls a rollback commit out as a canary, and aborts it.
        var (stub, agent) = await AgentApiStub.StartAsync(
            Status(Stable, NewDigest, Rollout(Ours, RolloutPhase.Progressing, 1)),
            Status(Later, NewDigest, Rollout(Ours, RolloutPhase.Aborted, 1, message: "analysis of step 1 was inconclusive 3 times in a row", rollback: Later)));
        await using var _ = stub;
        using var __ = agent;

        var aborted = await Assert.ThrowsAsync<RolloutAbortedException>(() =>
            agent.WaitForServingAsync("production", Ours, StableDigest, TimeSpan.FromSeconds(60), cancellationToken: Token));

        Assert.Contains("inconclusive 3 times in a row", aborted.Message);
        Assert.Contains(Later, aborted.Message);
    }

    [Fact]
    public async Task Serving_times_out_naming_the_image_the_environment_still_runs()
    {
        var (stub, agent) = await AgentApiStub.StartAsync(Status(Ours, NewDigest, null));
        await using var _ = stub;
        using var __ = agent;

        var timedOut = await Assert.ThrowsAsync<AgentWaitException>(() =>
            agent.WaitForServingAsync("production", Ours, StableDigest, TimeSpan.FromSeconds(2), cancellationToken: Token));

        Assert.Contains($"did not serve {StableDigest}", timedOut.Message);
        Assert.Contains($"image {NewDigest}", timedOut.Message);
    }

    private sealed class Progress(Action<EnvironmentStatus> report) : IProgress<EnvironmentStatus>
    {
        public void Report(EnvironmentStatus value) => report(value);
    }
}
