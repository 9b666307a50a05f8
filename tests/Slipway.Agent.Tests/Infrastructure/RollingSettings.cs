namespace Slipway.Agent.Tests.Infrastructure;

/// <summary>deploy/environments settings of a rolling environment with a rollback window, for the drills and the fast decision tests alike.</summary>
static class RollingSettings
{
    public static string Yaml(int port, int replicas, int rollbackWindowSeconds = 0, int replaceUnreadyAfterSeconds = 60) => $"""
        replicas: {replicas}
        hostPort: {port}
        rollbackWindowSeconds: {rollbackWindowSeconds}
        replaceUnreadyAfterSeconds: {replaceUnreadyAfterSeconds}
        strategy:
          type: rolling
        image:
          container: beacon
          digestEnv: BEACON_IMAGE_DIGEST
        """;
}
