namespace Slipway.Agent.Backends.Docker;

/// <summary>
/// A set of replicas beside the environment's own (the canary): its label value, its container name part, and its own
/// ConfigMap folder, so a canary's config (an injected fault, a new setting) never reaches the stable replicas.
/// </summary>
public sealed record ReplicaTrack(string Name, ConfigMapFiles ConfigFiles)
{
    /// <summary>Docker label naming the track of a replica; empty for the environment's own replicas.</summary>
    public const string Label = "slipway.track";

    public const string CanaryName = "canary";
}
