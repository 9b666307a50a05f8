namespace Slipway.Agent.Tests.Fakes;

/// <summary>How a fake replica of an image behaves: its start, its readiness, and what its requests answer.</summary>
public sealed record ReplicaBehaviour
{
    /// <summary>The engine refuses to create or start it (a bad image config, a port clash).</summary>
    public bool RefusedByEngine { get; init; }

    /// <summary>How long after its start it answers its readiness probe.</summary>
    public TimeSpan StartupTime { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>False: its readiness probe never passes (it stays running, unready).</summary>
    public bool BecomesReady { get; init; } = true;

    /// <summary>Share of its served requests answered 500.</summary>
    public double ErrorRate { get; init; }

    /// <summary>The latency every served request is observed with in its histogram.</summary>
    public double LatencyMs { get; init; } = 3;

    /// <summary>/version reports another digest than its image's (a build that reports the wrong version).</summary>
    public bool ReportsWrongDigest { get; init; }

    public static ReplicaBehaviour Healthy { get; } = new();
}
