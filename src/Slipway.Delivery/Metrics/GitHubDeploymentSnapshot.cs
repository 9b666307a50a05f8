using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.GitHub;

namespace Slipway.Delivery.Metrics;

/// <summary>
/// One GitHub deployment as Metrics reads it: GitHub's record (final state, first success, source commit and time) and
/// the deployment's payload, for the keys the record does not carry (<c>rollback_of</c>, <c>run</c>).
/// </summary>
public sealed record GitHubDeploymentSnapshot(GitHubDeploymentRecord Record, IReadOnlyDictionary<string, string> Payload)
{
    /// <summary>A deployment and its statuses (any order), reduced the way <see cref="GitHubDelivery.ToRecord"/> does.</summary>
    public static GitHubDeploymentSnapshot From(GitHubDeployment deployment, IReadOnlyList<GitHubDeploymentStatus> statuses)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(statuses);
        return new GitHubDeploymentSnapshot(GitHubDelivery.ToRecord(deployment, statuses), deployment.Payload);
    }

    /// <summary>The config commit (or ref) this deployment rolled back, from Slipway's payload; null for anything else.</summary>
    public string? RollbackOf => NonEmpty(GitHubDelivery.PayloadKeys.RollbackOf);

    /// <summary>The payload's change_type and fix_of as the commit trailers they mirror (see <see cref="ChangeTrailers"/>).</summary>
    public IReadOnlyDictionary<string, string> ChangeTrailerValues
    {
        get
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            if (NonEmpty(GitHubDelivery.PayloadKeys.ChangeType) is { } type) values[ChangeTrailers.ChangeTypeKey] = type;
            if (NonEmpty(GitHubDelivery.PayloadKeys.FixOf) is { } fixOf) values[ChangeTrailers.FixOfKey] = fixOf;
            return values;
        }
    }

    /// <summary>The pipeline run that made the deployment, from Slipway's payload.</summary>
    public string? Run => NonEmpty(GitHubDelivery.PayloadKeys.Run);

    /// <summary>True when Slipway made it (its payload names the source commit); other tools' deployments carry none of its keys.</summary>
    public bool HasSlipwayPayload => Record.SourceCommit is { Length: > 0 };

    /// <summary>When the change went live: the first success status, else when the deployment was created.</summary>
    public DateTimeOffset Time => Record.DeployedAt ?? Record.CreatedAt;

    /// <summary>The newest status says the deployment failed (failure or error), whatever came before it.</summary>
    public bool Failed => Record.FinalState is GitHubDeploymentState.Failure or GitHubDeploymentState.Error;

    /// <summary>
    /// Neither succeeded nor failed: queued, pending or in progress (still running, abandoned, or a tool that posts no
    /// statuses), or made inactive before it ever succeeded. Its outcome is unknown, so Metrics leaves it out.
    /// </summary>
    public bool OutcomeUnknown => !Failed && !Record.Succeeded;

    private string? NonEmpty(string key) => Payload.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
