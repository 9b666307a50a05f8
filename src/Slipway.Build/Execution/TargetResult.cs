namespace Slipway.Build;

public enum TargetStatus
{
    Succeeded,
    Failed,
    Skipped,
    NotRun,

    /// <summary>Its inputs and outputs were unchanged since its last success, so it did not run (Gradle's UP-TO-DATE).</summary>
    UpToDate,
}

/// <summary>What happened to one planned target. <see cref="Error"/> is masked; <see cref="SkipReason"/> says why it was skipped.</summary>
public sealed record TargetResult(string Name, TargetStatus Status, TimeSpan Duration, string? Error = null, string? SkipReason = null)
{
    /// <summary>When the target started executing; null for a target that never started (Skipped before its turn, NotRun).</summary>
    public DateTimeOffset? StartedAt { get; init; }
}

public enum BuildVerbosity
{
    Quiet,
    Minimal,
    Normal,
    Verbose,
}
