using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.GitHub;
using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.Promotion;

/// <summary>What a promotion through a pull request did: the commit now in the followed branch, and the pull request.</summary>
public sealed record PullRequestPromotionResult(CommitResult Commit, OpenedPullRequest? PullRequest, Approval? Approval);

/// <summary>A promotion pull request and what it was opened with (to update its description with later evidence).</summary>
public sealed record OpenedPullRequest(PromotionPullRequest PullRequest, PromotionPullRequestRequest Request);

/// <summary>
/// Operations by pull request, for a config repo on GitHub: the promotion's commit goes to a branch of its own
/// (<see cref="PromotionBranch.For"/>), a pull request carries the diff and the evidence, a manual environment waits
/// for an approving review, and the pull request is merged once its checks pass. Only the merge changes the branch
/// the agent follows, so a rejected, timed-out or red promotion leaves the environment as it was.
/// </summary>
public sealed class PullRequestPromotion(ConfigRepository repository, GitHubDelivery github, Serilog.ILogger log)
{
    private readonly Serilog.ILogger log = log.ForContext<PullRequestPromotion>();

    /// <summary>How long the pull request's checks may take before the promotion gives up (the pull request stays open).</summary>
    public TimeSpan ChecksTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <param name="candidate">The resolved candidate (its policy decides whether a review is needed).</param>
    /// <param name="trailers">The promotion commit's trailers (they also become the squash commit's message).</param>
    /// <exception cref="PromotionRefusedException">Not approved, checks failed or did not finish; nothing was merged.</exception>
    public async Task<PullRequestPromotionResult> PromoteAsync(PromotionCandidate candidate, DeploymentTrailers trailers, string deployDirectory,
        PromotionEvidence evidence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(trailers);
        var rendered = ManifestRenderer.Render(deployDirectory, candidate.To, candidate.Image);
        trailers = trailers with { Image = rendered.Image.ToString() };
        var branch = PromotionBranch.For(candidate.To, candidate.Image);
        var pushed = await new GitOpsCommitter(repository, log).CommitEnvironmentToBranchAsync(rendered, trailers, branch, cancellationToken);
        if (!pushed.Changed)
        {
            log.Information("{To} already has {Image}: no pull request needed", candidate.To, candidate.Image);
            return new PullRequestPromotionResult(new CommitResult(pushed.BaseSha, Changed: false, PushAttempts: 1), null, null);
        }

        var request = new PromotionPullRequestRequest(branch, repository.Options.Branch,
            $"Promote {PromotionBranch.ShortDigest(candidate.Image)} to {candidate.To}", trailers, pushed.DiffStat, evidence, candidate.From);
        var pullRequest = await github.OpenPromotionPullRequestAsync(request, cancellationToken);

        Approval? approval = null;
        if (candidate.Policy.Approval == "manual")
        {
            var decision = await github.WaitForApprovalAsync(pullRequest, TimeSpan.FromSeconds(candidate.Policy.ApprovalTimeoutSeconds), cancellationToken);
            if (!decision.IsApproved)
                throw new PromotionRefusedException(
                    $"{candidate.Image} was not promoted to {candidate.To}: {decision.Reason}. Nothing was merged; {candidate.To} is unchanged. " +
                    $"Pull request: {pullRequest.HtmlUrl}");
            approval = new Approval(candidate.To, candidate.Image, decision.Reviewer ?? "GitHub review", DateTimeOffset.UtcNow, trailers.Run);
        }

        var merge = await github.MergeWhenChecksPassAsync(pullRequest, ChecksTimeout, cancellationToken);
        if (!merge.IsMerged || merge.MergeSha is null)
            throw new PromotionRefusedException(
                $"{candidate.Image} was not promoted to {candidate.To}: {merge.Reason}. Nothing was merged; {candidate.To} is unchanged. " +
                $"Fix the checks and run Promote again, or merge {pullRequest.HtmlUrl} by hand.");

        // The agent follows the config repo: the merge must be there, or nothing would ever be applied.
        var head = await repository.SyncAsync(cancellationToken);
        if (!await repository.ContainsAsync(head, merge.MergeSha, cancellationToken))
            throw new GitHubDeliveryException(
                $"GitHub merged pull request #{pullRequest.Number} as {merge.MergeSha}, but the config repo {repository.DisplayUrl} does not have that commit; " +
                $"--config-repo must be the repository {github.ConfigRepository} (or a mirror the agent follows).");
        log.Information("Promotion of {Image} to {To} merged as {Sha} (pull request #{Number})", candidate.Image, candidate.To, merge.MergeSha[..12], pullRequest.Number);
        return new PullRequestPromotionResult(new CommitResult(merge.MergeSha, Changed: true, PushAttempts: 1), new OpenedPullRequest(pullRequest, request), approval);
    }
}
