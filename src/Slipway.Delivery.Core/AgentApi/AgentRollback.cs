namespace Slipway.Delivery.AgentApi;

/// <summary>
/// The body of <c>POST /environments/{environment}/rollback</c>: what ./build.sh Rollback asks the agent to do.
/// </summary>
/// <param name="To">A config revision or an image digest to return to; null reverts the environment's last deploy.</param>
/// <param name="Run">The run the rollback commit names (Slipway-Run).</param>
public sealed record AgentRollbackRequest(string? To, string Run)
{
    /// <summary>Why the request is refused before anything is read (a commit trailer takes the run id as it is); null when it is fine.</summary>
    public string? Problem() =>
        string.IsNullOrEmpty(Run) || Run.Length > 100 || !Run.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':')
            ? "run must be 1 to 100 characters of letters, digits, '-', '_', '.' and ':'"
            : To is not null && (To.Length is 0 or > 200 || !To.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '/' or '@'))
                ? "to must be a config revision or an image digest (up to 200 characters)"
                : null;
}

/// <summary>The agent's answer to a rollback: the config commit it made, and when traffic moved if it moved ahead of it.</summary>
/// <param name="Changed">False when the config repo already had those files (nothing was committed).</param>
/// <param name="RolledBackCommit">The commit rolled back (Slipway-Rollback-Of).</param>
/// <param name="PreviousImage">What the environment runs after the rollback.</param>
/// <param name="SwitchedAt">When all traffic went to the warm revision, before the commit; null when the agent applies the commit as any other.</param>
public sealed record AgentRollbackResponse(
    string Environment,
    string Commit,
    bool Changed,
    string RolledBackCommit,
    string PreviousImage,
    string? ReplacedImage,
    DateTimeOffset? SwitchedAt);
