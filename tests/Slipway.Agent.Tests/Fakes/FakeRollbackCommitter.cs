using Slipway.Agent.Rollouts;

namespace Slipway.Agent.Tests.Fakes;

/// <summary>Records the reverts a failed rollout asks for and answers as a pushed revert.</summary>
public sealed class FakeRollbackCommitter : IRollbackCommitter
{
    public List<(string Environment, string FailedRevision, string StableImage)> Reverts { get; } = [];

    public Task<RollbackOutcome> RevertAsync(string environment, string failedRevision, string stableImage, CancellationToken cancellationToken)
    {
        lock (Reverts) Reverts.Add((environment, failedRevision, stableImage));
        var sha = $"revert{Reverts.Count:D34}";
        return Task.FromResult(new RollbackOutcome(sha, $"reverted {failedRevision[..Math.Min(12, failedRevision.Length)]} with {sha[..12]}"));
    }
}
