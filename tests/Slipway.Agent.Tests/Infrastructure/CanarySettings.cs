namespace Slipway.Agent.Tests.Infrastructure;

/// <summary>deploy/environments settings of a 2-replica canary environment, for the drills and the fast decision tests alike.</summary>
static class CanarySettings
{
    /// <param name="steps">"weight:windowSeconds,..."</param>
    /// <param name="minRequests">A window ends once both versions have this many requests (at most its length).</param>
    /// <param name="faults">Extra YAML under settings (indented as a settings child), e.g. Beacon's Faults.</param>
    public static string Yaml(int port, string steps, int minRequests, int loadRps = 40, int maxInconclusive = 3, string faults = "") => $"""
        replicas: 2
        hostPort: {port}
        strategy:
          type: canary
          canary:
            steps:
        {string.Concat(steps.Split(',').Select(s => $"      - weight: {s.Split(':')[0]}\n        pauseSeconds: {s.Split(':')[1]}\n"))}  analysis:
            maxErrorRate: 0.05
            maxP95Ms: 250
            maxP95Ratio: 20
            minRequests: {minRequests}
            maxInconclusiveWindows: {maxInconclusive}
            loadRps: {loadRps}
            loadPath: /api/greeting
        image:
          container: beacon
          digestEnv: BEACON_IMAGE_DIGEST
        settings:
          Greeting:
            Audience: tests
        {(faults.Length == 0 ? "" : "  " + faults.Replace("\n", "\n  "))}
        """;
}
