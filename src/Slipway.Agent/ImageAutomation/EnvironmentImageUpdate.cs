using k8s.Models;
using Slipway.Delivery.Manifests;

namespace Slipway.Agent.ImageAutomation;

/// <summary>
/// Re-renders an environment folder of the config repo with another image: the container running the watched repository
/// gets the new reference, and the digest env var the Deployment names (slipway.dev/image-digest-env) the new digest.
/// deployment.yaml is written again through <see cref="ManifestYaml"/> (canonical, deterministic bytes); the other files
/// are kept byte for byte. The agent has no deploy/ folder, so this starts from what the environment runs, not from templates.
/// </summary>
public static class EnvironmentImageUpdate
{
    /// <exception cref="ManifestException">The folder is invalid, or no single container runs <paramref name="image"/>'s repository.</exception>
    public static RenderedEnvironment WithImage(string environment, IReadOnlyDictionary<string, string> files, ImageDigestReference image)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(image);
        var current = EnvironmentManifests.Parse(environment, files);
        ManifestValidator.ThrowIfInvalid(current);
        var deployment = current.Deployment;   // parsed for us alone: safe to change
        var container = Container(deployment, image, environment);
        container.Image = image.ToString();
        if (deployment.Metadata?.Annotations?.TryGetValue(SlipwayMetadata.DigestEnvAnnotation, out var digestEnv) == true && digestEnv.Length > 0)
        {
            var env = container.Env ??= [];
            var variable = env.FirstOrDefault(candidate => candidate.Name == digestEnv);
            if (variable is null) env.Add(variable = new V1EnvVar { Name = digestEnv });
            variable.Value = image.Digest;
            variable.ValueFrom = null;
        }

        var updated = new SortedDictionary<string, string>(files.ToDictionary(), StringComparer.Ordinal)
        {
            [SlipwayMetadata.DeploymentFile] = ManifestYaml.Serialize(deployment),
        };
        var manifests = EnvironmentManifests.Parse(environment, updated);
        ManifestValidator.ThrowIfInvalid(manifests);
        return new RenderedEnvironment(environment, updated, manifests, image, ConfigHash.Compute(manifests.ConfigData));
    }

    /// <summary>The container to update: the one whose image is from the same repository, else the only container.</summary>
    static V1Container Container(V1Deployment deployment, ImageDigestReference image, string environment)
    {
        var containers = deployment.Spec.Template.Spec.Containers;
        var sameRepository = containers
            .Where(container => ImageDigestReference.TryParse(container.Image, out var running, out _) && running!.Repository == image.Repository)
            .ToList();
        if (sameRepository.Count == 1) return sameRepository[0];
        if (sameRepository.Count == 0 && containers.Count == 1) return containers[0];
        throw new ManifestException(
            $"{SlipwayMetadata.EnvironmentFolder(environment)}/{SlipwayMetadata.DeploymentFile}: {(sameRepository.Count == 0 ? "no" : sameRepository.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))} " +
            $"of its {containers.Count} containers run {image.Repository}; image automation updates exactly one container — " +
            "make the watched image the one container that runs that repository");
    }
}
