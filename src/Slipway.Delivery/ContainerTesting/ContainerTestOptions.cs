namespace Slipway.Delivery.ContainerTesting;

/// <summary>How the running container is tested. Defaults fit an ASP.NET service with Beacon's endpoints.</summary>
public sealed record ContainerTestOptions
{
    /// <summary>Where container-test.json is written (e.g. .nuke/artifacts).</summary>
    public required string ArtifactsDirectory { get; init; }

    /// <summary>The port the service listens on in the container; null: the image's first exposed TCP port, else 8080.</summary>
    public int? ContainerPort { get; init; }

    public string ReadinessPath { get; init; } = "/readyz";
    public string HealthPath { get; init; } = "/healthz";
    public string VersionPath { get; init; } = "/version";
    public string GreetingPath { get; init; } = "/api/greeting";

    /// <summary>How long the container may take to answer the readiness path.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The bounded load: total requests and concurrent callers against <see cref="GreetingPath"/>.</summary>
    public int LoadRequests { get; init; } = 2_000;
    public int LoadConcurrency { get; init; } = 16;

    /// <summary>The whole load must finish within this; requests not done by then count as errors.</summary>
    public TimeSpan LoadTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The p95 latency budget; over it the performance check fails. Generous by default (shared CI machines).</summary>
    public TimeSpan P95Budget { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Environment variables for the container under test (never secrets: they would be logged).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Throw <see cref="ContainerTestFailedException"/> when a check fails (after writing the report).</summary>
    public bool ThrowOnFailure { get; init; } = true;

    internal void Validate()
    {
        if (LoadRequests <= 0 || LoadConcurrency <= 0 || LoadConcurrency > 1024)
            throw new ArgumentException($"Load of {LoadRequests} requests at {LoadConcurrency} concurrent is not valid; use positive numbers (concurrency at most 1024).");
        if (ContainerPort is <= 0 or > 65535)
            throw new ArgumentException($"Container port {ContainerPort} is out of range 1-65535.");
        if (string.IsNullOrWhiteSpace(ArtifactsDirectory))
            throw new ArgumentException("ArtifactsDirectory is required (where container-test.json goes).");
    }
}
