namespace Slipway.Build;

/// <summary>Everything a run reads from outside the build class: arguments, environment, root, output.</summary>
public sealed record BuildInvocation
{
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>The environment the build sees (parameters, CI host). Tests pass their own; nothing else is read.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>The root directory; when null, --root or the nearest directory above <see cref="WorkingDirectory"/> holding .nuke/.</summary>
    public string? RootDirectory { get; init; }

    /// <summary>Where the search for .nuke/ starts when no root is given.</summary>
    public string? WorkingDirectory { get; init; }

    public TextWriter Output { get; init; } = TextWriter.Null;

    /// <summary>The target run when none is named (marked * in --help).</summary>
    public string? DefaultTarget { get; init; }

    /// <summary>Upper bound of concurrently running targets under --parallel; null = processor count.</summary>
    public int? MaxParallelism { get; init; }

    /// <summary>How often a running target reports that it is still running; zero turns it off.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(30);

    public CancellationToken CancellationToken { get; init; }
}

/// <summary>How a run ended: exit code, each planned target's result, the executed targets in start order and the full (masked) output.</summary>
public sealed record BuildOutcome(int ExitCode, IReadOnlyList<TargetResult> Results, IReadOnlyList<string> ExecutedTargets, string Output)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The result of a planned target, or null when it was not in the plan.</summary>
    public TargetResult? Result(string target) =>
        Results.FirstOrDefault(r => r.Name.Equals(target, StringComparison.OrdinalIgnoreCase));

    public TargetStatus? StatusOf(string target) => Result(target)?.Status;
}
