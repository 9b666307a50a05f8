using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.GitHub;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Oci;

namespace Slipway.Delivery.Promotion;

/// <summary>What to promote where.</summary>
/// <param name="DeployDirectory">deploy/: the target's settings (its <c>promotion</c> policy) and the templates it is rendered from.</param>
/// <param name="To">The target environment (e.g. production).</param>
/// <param name="From">The source environment; null: the target's <c>promotion.from</c>.</param>
/// <param name="Image">A digest (or repository@digest) to promote; null: the one the source runs. Refused unless the source runs it.</param>
/// <param name="Run">This pipeline run's id (Slipway-Run trailer).</param>
/// <param name="Evidence">What a promotion pull request shows its reviewers (smoke results); unused without pull requests.</param>
/// <param name="ChangeType">The promotion's Slipway-Change-Type; null: the source deploy's.</param>
public sealed record PromotionRequest(string DeployDirectory, string To, string Run, string? From = null, string? Image = null,
    PromotionEvidence? Evidence = null, string? ChangeType = null);

/// <summary>A digest that may be promoted: what the source runs, the proof it passed smoke tests there, how long it has soaked.</summary>
public sealed record PromotionCandidate(
    string From,
    string To,
    string Image,
    SmokeEvidence Evidence,
    SoakTime Soak,
    EnvironmentSettings.PromotionSettings Policy,
    string TargetStrategy)
{
    public ImageDigest Digest => ImageDigest.Of(Image);
}

/// <summary>
/// The promotion commit (or the target's head when it already ran the digest), its trailers, the candidate it was made
/// for, and the pull request it went through when the config repo is on GitHub.
/// </summary>
public sealed record PromotionResult(PromotionCandidate Candidate, CommitResult Commit, Approval? Approval, DeploymentTrailers Trailers,
    OpenedPullRequest? PullRequest = null);

/// <summary>
/// The build side of a promotion: takes the digest the source environment runs according to the config repo (never a
/// rebuild), proves it passed the smoke test there, checks the target's policy (soak time, approval), then renders the
/// target with that digest and commits it with the deployment trailers. The agent does the rest (its rollout).
/// </summary>
public sealed class Promoter(ConfigRepository repository, SmokeEvidenceFinder evidence, ApprovalStore approvals, Serilog.ILogger log, TimeProvider? clock = null)
{
    private readonly TimeProvider time = clock ?? TimeProvider.System;

    /// <summary>
    /// Promotion by pull request (config repo on GitHub): the approval is a review and the change lands by merge. Null:
    /// approvals come from ./build.sh Approve and the promotion is committed directly.
    /// </summary>
    public PullRequestPromotion? PullRequests { get; init; }

    /// <summary>
    /// Checks the candidate's image before anything is asked or committed (its signature and attestations); throws to refuse.
    /// Null: no check.
    /// </summary>
    public Func<PromotionCandidate, CancellationToken, Task>? ImageGate { get; init; }

    /// <summary>How often a manual promotion looks for its approval.</summary>
    public TimeSpan ApprovalPollInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Everything that must hold before a commit: the candidate digest, its smoke evidence and its soak time.</summary>
    /// <exception cref="PromotionRefusedException">A rule refuses the promotion; the message names the digest and the fix.</exception>
    public async Task<PromotionCandidate> ResolveAsync(PromotionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var policy = PromotionPolicy.Of(request.DeployDirectory, request.To);
        var from = request.From ?? policy.From;
        EnvironmentName.Require(from);
        if (from == request.To) throw new PromotionRefusedException($"cannot promote {from} into itself; pass --from (another environment) or --to");

        var source = await repository.ReadEnvironmentAsync(from, cancellationToken: cancellationToken);
        var running = source?.Image
                      ?? throw new PromotionRefusedException(
                          $"{from} runs nothing according to the config repo, so there is no digest to promote to {request.To}. " +
                          $"Fix: deploy and smoke-test it first: ./build.sh Deploy SmokeTest --environment {from}");
        if (request.Image is { } wanted && ImageDigest.Of(wanted) != ImageDigest.Of(running))
            throw new PromotionRefusedException(
                $"Refusing to promote {wanted} to {request.To}: {from} does not run it (the config repo has {running} there). " +
                $"Only a digest proven in {from} is promoted. Fix: deploy it to {from} and smoke-test it " +
                $"(./build.sh Deploy SmokeTest --environment {from}), or promote what {from} runs (omit --digest).");

        var proof = await evidence.FindAsync(from, running, cancellationToken)
                    ?? throw new PromotionRefusedException(
                        $"Refusing to promote {running} to {request.To}: it never passed SmokeTest in {from} (no record in " +
                        $".nuke/artifacts/{SmokeEvidenceFile.FileName} nor in the config repo's run records). " +
                        $"Fix: ./build.sh SmokeTest --environment {from}, then promote again.");

        var now = time.GetUtcNow();
        var soak = SoakTime.Measure(await repository.HistoryAsync(from, cancellationToken), ImageDigest.Of(running), now)
                   ?? throw new PromotionRefusedException(
                       $"Refusing to promote {running} to {request.To}: {from}'s deploy history in the config repo has no deploy commit of it " +
                       $"(the files were changed by hand?). Fix: ./build.sh Deploy --environment {from} so the deploy is recorded with its trailers.");
        var required = TimeSpan.FromSeconds(policy.SoakSeconds);
        if (!soak.Satisfies(required))
            throw new PromotionRefusedException(
                $"Refusing to promote {running} to {request.To} yet: it has run in {from} for {Format(soak.Elapsed)} since {soak.Since:u}, " +
                $"and {request.To} requires promotion.soakSeconds {policy.SoakSeconds} ({Format(required)}). " +
                $"Fix: promote again after {soak.Since + required:u}.");

        var target = EnvironmentSettings.Load(Path.Combine(request.DeployDirectory, ManifestRenderer.EnvironmentsFolder, request.To + ".yaml"));
        log.Information("Promoting {Image} from {From} to {To}: smoke-tested there ({Source} {Run}), soaked {Soak}",
            running, from, request.To, proof.Source, proof.Run, Format(soak.Elapsed));
        return new PromotionCandidate(from, request.To, running, proof, soak, policy, target.Strategy.Type);
    }

    /// <summary>
    /// Null for an automatic policy. Manual: returns the approval of the candidate's digest for the target, waiting for
    /// one (polling the config repo) at most approvalTimeoutSeconds.
    /// </summary>
    /// <exception cref="PromotionRefusedException">No approval arrived in time.</exception>
    public async Task<Approval?> AwaitApprovalAsync(PromotionCandidate candidate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        if (candidate.Policy.Approval != "manual") return null;
        var timeout = TimeSpan.FromSeconds(candidate.Policy.ApprovalTimeoutSeconds);
        var deadline = time.GetUtcNow() + timeout;
        var announced = false;
        while (true)
        {
            if (await approvals.FindAsync(candidate.To, candidate.Image, cancellationToken) is { } approval)
            {
                log.Information("{Image} is approved for {To} by {Approver} at {At:u}", candidate.Image, candidate.To, approval.ApprovedBy, approval.ApprovedAt);
                return approval;
            }
            if (!announced)
            {
                log.Information("{To} requires a manual approval: waiting up to {Timeout} for ./build.sh Approve --environment {Environment} (approves {Image})",
                    candidate.To, Format(timeout), candidate.To, candidate.Image);
                announced = true;
            }
            if (time.GetUtcNow() >= deadline)
                throw new PromotionRefusedException(
                    $"{candidate.Image} was not approved for {candidate.To} within promotion.approvalTimeoutSeconds {candidate.Policy.ApprovalTimeoutSeconds}; " +
                    $"nothing was committed. Fix: ./build.sh Approve --environment {candidate.To}, then promote again.");
            await Task.Delay(ApprovalPollInterval, time, cancellationToken);
        }
    }

    /// <summary>Resolves, waits for the approval the policy needs, then renders the target with the digest and commits it.</summary>
    public async Task<PromotionResult> PromoteAsync(PromotionRequest request, CancellationToken cancellationToken = default)
    {
        var candidate = await ResolveAsync(request, cancellationToken);
        if (ImageGate is { } gate) await gate(candidate, cancellationToken);
        var trailers = TrailersOf(candidate, request);
        if (PullRequests is { } pullRequests)
        {
            var merged = await pullRequests.PromoteAsync(candidate, trailers, request.DeployDirectory, request.Evidence ?? PromotionEvidence.None, cancellationToken);
            return new PromotionResult(candidate, merged.Commit, merged.Approval, trailers, merged.PullRequest);
        }
        var approval = await AwaitApprovalAsync(candidate, cancellationToken);
        var commit = await CommitAsync(candidate, request, cancellationToken);
        return new PromotionResult(candidate, commit, approval, trailers);
    }

    /// <summary>
    /// The promotion's trailers. The source commit and time travel with the digest from the deploy that put it in the
    /// source environment, so the lead time counts from the change, not from this promotion; so does its change type (a
    /// fix in staging is a fix in production), unless the request names one. Fix-Of does not: it names a commit of the
    /// source environment, and in the target a fix repairs what was live before it.
    /// </summary>
    public static DeploymentTrailers TrailersOf(PromotionCandidate candidate, PromotionRequest request)
    {
        var origin = candidate.Soak.DeployCommit.Deployment!;
        return new DeploymentTrailers(candidate.To, candidate.Image, origin.SourceCommit, origin.SourceTime, request.Run,
            ChangeType: request.ChangeType ?? origin.ChangeType);
    }

    /// <summary>Commits the candidate to the target directly (no pull request), with <see cref="TrailersOf"/>.</summary>
    public async Task<CommitResult> CommitAsync(PromotionCandidate candidate, PromotionRequest request, CancellationToken cancellationToken = default)
    {
        var trailers = TrailersOf(candidate, request);
        var result = await new GitOpsCommitter(repository, log).RenderAndCommitAsync(request.DeployDirectory, trailers, cancellationToken);
        log.Information(result.Changed ? "Promoted {Image} to {To} at {Sha}" : "{To} already has {Image} at {Sha}: nothing to commit",
            candidate.Image, candidate.To, result.Sha[..12]);
        return result;
    }

    internal static string Format(TimeSpan span) =>
        span.TotalSeconds < 120 ? $"{span.TotalSeconds:0}s" : span.TotalMinutes < 120 ? $"{span.TotalMinutes:0}m" : $"{span.TotalHours:0.#}h";
}
