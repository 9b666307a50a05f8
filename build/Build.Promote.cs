using System.Diagnostics;
using Slipway.Build;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.GitHub;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Oci;
using Slipway.Delivery.Promotion;
using Slipway.Delivery.RunRecords;
using Slipway.Delivery.SmokeTesting;
using Slipway.Delivery.SupplyChain;
using Spectre.Console;

partial class Build
{
    [Parameter("Promote: the source environment whose smoke-tested digest is promoted (default: the target's promotion.from in deploy/)")]
    readonly string? From = null;

    [Parameter("Promote: the target environment (default production). Rollback: the config revision or image digest to return to (default: before the last deploy)")]
    readonly string? To = null;

    [Parameter("Promote: the digest to promote (default: the one --from runs); refused unless --from runs it and it passed SmokeTest there")]
    readonly string? Digest = null;

    [Parameter("How long Promote waits for the agent's rollout (canary steps, blue-green switch) to finish, in seconds")]
    readonly int PromoteTimeoutSeconds = 600;

    string PromotionTarget => To ?? "production";

    /// <summary>The config revision Promote left the target at (PromotionSmokeTest tests it).</summary>
    string? PromotedRevision;

    /// <summary>Promote committed something new to the target.</summary>
    bool PromotedChanged;

    Target Promote => _ => _
        .Description("Promotes the digest --from runs (smoke-tested there, never rebuilt) to --to after its policy (soak, approval); the agent rolls it out")
        .DependsOn(Infrastructure)
        .After(Deploy, SmokeTest)
        .Executes(async () =>
        {
            var repository = OpenConfigRepository();
            var github = await OpenGitHubAsync();
            var promoter = new Promoter(repository,
                new SmokeEvidenceFinder(ArtifactsDirectory, new RunRecordStore(repository, Log), Log) { SmokeStage = nameof(SmokeTest) },
                new ApprovalStore(repository, Log), Log)
            {
                // The config repo on GitHub: operations by pull request (a review approves, the merge deploys).
                PullRequests = github is null ? null : new PullRequestPromotion(repository, github, Log) { ChecksTimeout = GithubChecksTimeout },
                ImageGate = (candidate, _) => VerifyImageForAsync(candidate.To, candidate.Image),
            };
            var evidence = github is null ? null : await SmokeEvidenceForPullRequestAsync(repository);
            var result = await promoter.PromoteAsync(new PromotionRequest(DeployDirectory, PromotionTarget, RunId, From, Digest, evidence, ChangeType), CancellationToken);
            var candidate = result.Candidate;
            PromotedRevision = result.Commit.Sha;
            PromotedChanged = result.Commit.Changed;
            var timeout = TimeSpan.FromSeconds(PromoteTimeoutSeconds);
            if (!result.Commit.Changed)
            {
                // Nothing new to roll out: the target already has the digest; make sure it serves it.
                var last = (await repository.HistoryAsync(candidate.To, CancellationToken))[0].Sha;
                await WaitForServingAsync(candidate.To, last, candidate.Image, timeout);
                return;
            }
            var rollout = await TrackOnGitHubAsync(candidate.To, result.Commit.Sha, result.Commit.Changed, async () =>
            {
                if (candidate.TargetStrategy == "rolling")
                {
                    await WaitForAgentAsync(candidate.To, result.Commit.Sha, timeout); // a rolling update reports no rollout to wait on
                    return null;
                }
                return await WaitForRolloutAsync(candidate.To, result.Commit.Sha, timeout);
            });
            if (github is not null && result.PullRequest is { } opened && rollout is not null &&
                RolloutEvidence.CanaryAnalysisOf(rollout, RolloutSpecOf(candidate.To).Analysis) is { } analysis)
            {
                await github.UpdatePromotionPullRequestAsync(opened.PullRequest,
                    opened.Request with { Evidence = opened.Request.Evidence with { CanaryAnalysis = analysis } }, CancellationToken);
            }
        });

    /// <summary>The rollout settings of an environment as deploy/ renders them (its analysis thresholds).</summary>
    RolloutSpec RolloutSpecOf(string environment) =>
        EnvironmentSettings.Load(DeployDirectory / ManifestRenderer.EnvironmentsFolder / (environment + ".yaml")).Rollout;

    /// <summary>
    /// The smoke test a promotion pull request shows its reviewers: the source environment's last smoke report on this
    /// machine, when it passed against the digest the source runs now (an older report would be evidence for something else).
    /// </summary>
    async Task<PromotionEvidence> SmokeEvidenceForPullRequestAsync(Slipway.Delivery.ConfigRepo.ConfigRepository repository)
    {
        var from = From ?? PromotionPolicy.Of(DeployDirectory, PromotionTarget).From;
        var image = await repository.CurrentImageAsync(from, CancellationToken);
        var smoke = SmokeTestResult.ReadArtifact(ArtifactsDirectory, from);
        var matches = image is not null && smoke is { Passed: true } &&
                      smoke.Checks.Any(check => check.Passed && check.Actual.Contains(ImageDigest.Of(image).Value, StringComparison.Ordinal));
        var supplyChain = image is null ? null : SupplyChainEvidence.For(ImageReference.Parse(image));
        return new PromotionEvidence { SmokeTests = matches ? [smoke!] : [], SupplyChain = supplyChain };
    }

    async Task<RolloutStatus?> WaitForRolloutAsync(string environment, string revision, TimeSpan timeout)
    {
        using var agent = OperatorAgentClient();
        await agent.RequestSyncAsync(CancellationToken);
        var repository = OpenConfigRepository();
        var lastReported = "";
        try
        {
            var status = await agent.WaitForRolloutAsync(environment, revision, timeout,
                new InlineProgress<EnvironmentStatus>(s =>
                {
                    var line = s.Rollout is { } r
                        ? $"{r.Strategy} {r.Phase} at {Short(r.Revision)}: step {r.Step}/{r.StepCount}, canary {r.CanaryWeight}%{(r.Message is null ? "" : $" ({r.Message})")}"
                        : $"{s.Health}: applied {Short(s.AppliedRevision)}, no rollout reported yet";
                    if (line != lastReported)
                    {
                        Log.Information("{Environment} {Progress:l}", environment, line);
                        lastReported = line;
                    }
                }), CancellationToken,
                contains: (reported, token) => repository.ContainsAsync(reported, revision, token));
            if (status.Rollout is not { } rollout || !await AgentClient.RolloutCovers(status, revision, (reported, token) => repository.ContainsAsync(reported, revision, token), CancellationToken))
            {
                Log.Warning("The agent applied {Revision} to {Environment} without a rollout of its strategy: the first deploy there (nothing to compare with), " +
                            "a change that keeps the image, or an agent that predates progressive rollouts",
                    Short(status.AppliedRevision), environment);
                Log.Information("{Environment} runs {Digest} at revision {Revision}", environment, status.ImageDigest, Short(status.AppliedRevision));
                return null;
            }
            LogRenderable(RolloutTable.Render(environment, rollout));
            Log.Information("{Environment} serves {Digest} on all traffic at revision {Revision}", environment, rollout.ImageDigest, Short(rollout.Revision));
            return rollout;
        }
        catch (RolloutAbortedException aborted)
        {
            LogRenderable(RolloutTable.Render(environment, aborted.Rollout));
            throw;
        }
    }

    async Task<EnvironmentStatus> WaitForServingAsync(string environment, string revision, string image, TimeSpan timeout)
    {
        using var agent = OperatorAgentClient();
        await agent.RequestSyncAsync(CancellationToken);
        var repository = OpenConfigRepository();
        var lastReported = "";
        var status = await agent.WaitForServingAsync(environment, revision, image, timeout,
            new InlineProgress<EnvironmentStatus>(s =>
            {
                var line = $"{s.Health}: {s.ReplicasReady}/{s.ReplicasDesired} ready, image {s.ImageDigest ?? "none"}, applied {Short(s.AppliedRevision)}" +
                           (s.Rollout is { Phase: RolloutPhase.Progressing } r ? $", {r.Strategy} rollout in progress" : "");
                if (line != lastReported)
                {
                    Log.Information("{Environment} {Progress:l}", environment, line);
                    lastReported = line;
                }
            }), CancellationToken,
            contains: (applied, token) => repository.ContainsAsync(applied, revision, token));
        Log.Information("{Environment} serves {Digest} at revision {Revision} on 127.0.0.1:{Port}", environment, status.ImageDigest, Short(status.AppliedRevision), status.Port);
        return status;
    }

    Target PromotionSmokeTest => _ => _
        .Description("Smoke-tests the environment Promote promoted to (--to, default production) against what the config repo says it runs")
        .After(Promote)
        .Executes(() => SmokeTestEnvironmentAsync(PromotionTarget));

    Target Approve => _ => _
        .Description("Approves promoting the digest that the source environment of --environment runs (manual approval policy); recorded in the config repo")
        .Requires(() => Environment)
        .Executes(async () =>
        {
            var target = Environment!;
            if (await OpenGitHubAsync() is { } github)
            {
                Log.Warning("The config repo is on GitHub ({Repository}): Promote asks for an approving review of its pull request there and does not read this approval", github.ConfigRepository);
            }
            var approver = ApprovalStore.Approver(Host.RunId is null ? null : Host.Name.ToString());
            var outcome = await new ApprovalStore(OpenConfigRepository(), Log).ApproveSourceImageAsync(DeployDirectory, target, From, Digest, approver, RunId, CancellationToken);
            if (outcome.Policy.Approval != "manual")
            {
                Log.Information("{Target} promotes automatically (promotion.approval: {Approval}); the approval is recorded anyway", target, outcome.Policy.Approval);
            }
            Log.Information("Approved {Image} for {Target} by {Approver} (config commit {Sha}); a waiting Promote proceeds", outcome.Approval.Image, target, approver, Short(outcome.Commit.Sha));
        });

    Target Rollback => _ => _
        .Description("Rolls --environment back through Git (revert of its last deploy, or --to <config revision | digest>), waits until that version serves, prints the MTTR")
        // No platform check first: in an incident the rollback needs only the config repo and the agent, and the check
        // (engine, registry, base image, edge, agent) would add seconds to the MTTR — or fail on a part it does not need.
        .Requires(() => Environment)
        .Executes(async () =>
        {
            // MTTR counts from the command: the process start, before the engine and the platform check.
            var commandStarted = new DateTimeOffset(Process.GetCurrentProcess().StartTime.ToUniversalTime(), TimeSpan.Zero);
            var environment = Environment!;
            // Whether the config repo is on GitHub does not depend on the rollback: found out meanwhile, it no longer
            // stands between the commit and the agent's sync.
            var resolvingGitHub = OpenGitHubAsync();
            var (rollback, switchedAt) = await RollBackThroughAgentAsync(environment)
                                         ?? (await new EnvironmentRollback(OpenConfigRepository(), Log).RollBackAsync(environment, RunId, To, CancellationToken), null);
            await resolvingGitHub;
            EnvironmentStatus status;
            try
            {
                status = await TrackOnGitHubAsync(environment, rollback.Commit.Sha, rollback.Commit.Changed,
                    () => WaitForServingAsync(environment, rollback.Commit.Sha, rollback.PreviousImage, TimeSpan.FromSeconds(DeployTimeoutSeconds)));
            }
            catch (RolloutAbortedException aborted)
            {
                // The agent rolled the rollback out with the environment's strategy and gave up on it.
                LogRenderable(RolloutTable.Render(environment, aborted.Rollout));
                throw;
            }
            // Moved ahead of the commit, all traffic was back on the previous version at the switch.
            var restored = switchedAt ?? DateTimeOffset.UtcNow;
            var table = new Table().Title($"Rollback of {Markup.Escape(environment)}").AddColumns("", "").HideHeaders();
            table.AddRow("rolled back", Markup.Escape($"{Short(rollback.RolledBackCommit)} ({rollback.ReplacedImage ?? "?"})"));
            table.AddRow("rollback commit", Markup.Escape(rollback.Commit.Changed ? rollback.Commit.Sha : $"{rollback.Commit.Sha} (already there, nothing committed)"));
            table.AddRow("now serving", Markup.Escape($"{status.ImageDigest} on 127.0.0.1:{status.Port}, {status.ReplicasReady}/{status.ReplicasDesired} ready"));
            table.AddRow("MTTR", $"{(restored - commandStarted).TotalSeconds:0.0} s (command to the previous version serving all traffic" +
                                 (switchedAt is null ? ")" : ", switched by the agent ahead of the commit)"));
            LogRenderable(table);
        });

    /// <summary>
    /// The rollback made by the agent: the same commit, from its own clone, and when the previous version still runs warm
    /// the agent moves all traffic to it first (the switch time is returned). Null when the agent cannot make it (it does
    /// not answer, offers no rollback of the environment, or its commit failed): the rollback is then committed from here.
    /// </summary>
    async Task<(RollbackResult Rollback, DateTimeOffset? SwitchedAt)?> RollBackThroughAgentAsync(string environment)
    {
        using var agent = OperatorAgentClient();
        try
        {
            var answer = await agent.RollBackAsync(environment, To, RunId, CancellationToken);
            if (answer.SwitchedAt is { } switchedAt)
                Log.Information("The agent moved all of {Environment}'s traffic to the warm replicas of {Image} at {At:HH:mm:ss.fff}, ahead of the rollback's commit",
                    environment, answer.PreviousImage, switchedAt.ToLocalTime());
            return (new RollbackResult(environment, new CommitResult(answer.Commit, answer.Changed, PushAttempts: 1), answer.RolledBackCommit,
                answer.PreviousImage, answer.ReplacedImage), answer.SwitchedAt);
        }
        catch (Exception exception) when (exception is AgentUnavailableException or AgentRollbackUnsupportedException or AgentRollbackFailedException)
        {
            Log.Warning("The agent did not roll {Environment} back ({Reason}); committing the rollback from here", environment, exception.Message);
            return null;
        }
    }
}
