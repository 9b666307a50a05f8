using Slipway.Agent.ConfigRepo;
using Slipway.Delivery.Manifests;

namespace Slipway.Agent.Sync;

/// <summary>
/// The agent's own bounds on what a config-repo commit may ask for, whatever the commit's annotations say (they can
/// only narrow these): where images come from, how many replicas, how many and how large the files it reads.
/// </summary>
public sealed record SyncPolicy(IReadOnlyList<string> AllowedRegistries, int MaxReplicas, FolderLimits Folder)
{
    public static SyncPolicy From(AgentOptions options) =>
        new(options.AllowedRegistries, options.MaxReplicas, new FolderLimits(options.MaxFiles, options.MaxFileBytes));

    /// <summary>Why the agent would refuse to run these parsed manifests on <paramref name="backend"/> (empty: it would run them):
    /// the manifests' own rules, this policy's bounds, then what the backend cannot run.</summary>
    public IReadOnlyList<string> Refusals(EnvironmentManifests manifests, Backends.IEnvironmentBackend backend)
    {
        var problems = ManifestValidator.Validate(manifests).Concat(Check(manifests)).ToList();
        return problems.Count > 0 ? problems : backend.Check(manifests);
    }

    /// <summary>Every way the environment's manifests exceed the agent's bounds (empty: none).</summary>
    public IReadOnlyList<string> Check(EnvironmentManifests manifests)
    {
        var problems = new List<string>();
        var where = $"{SlipwayMetadata.EnvironmentFolder(manifests.Environment)}/{SlipwayMetadata.DeploymentFile}";
        if (manifests.Deployment.Spec?.Replicas is { } replicas && replicas > MaxReplicas)
            problems.Add($"{where}: spec.replicas is {replicas}, above this agent's limit of {MaxReplicas} (--max-replicas); lower replicas");
        foreach (var image in manifests.Deployment.Spec?.Template?.Spec?.Containers?.Select(c => c.Image).OfType<string>() ?? [])
            if (RegistryPolicy.Refuses(AllowedRegistries, image) is { } refusal)
                problems.Add($"{where}: {refusal} (this agent's --allowed-registries)");
        return problems;
    }
}
