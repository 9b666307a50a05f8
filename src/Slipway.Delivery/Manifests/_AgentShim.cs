// TEMPORARY: the contract's shapes until branch `gitops` lands; deleted at merge.
using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;

namespace Slipway.Delivery.Manifests;

public sealed record EnvironmentManifests(string Environment, V1Deployment Deployment, V1Service Service, V1ConfigMap ConfigMap)
{
    public static EnvironmentManifests Load(string environmentDirectory) =>
        Parse(Path.GetFileName(environmentDirectory.TrimEnd('/')), Directory.GetFiles(environmentDirectory, "*.yaml").ToDictionary(f => Path.GetFileName(f), File.ReadAllText));

    public static EnvironmentManifests Parse(string environment, IReadOnlyDictionary<string, string> filesByName)
    {
        V1Deployment? d = null; V1Service? s = null; V1ConfigMap? c = null;
        foreach (var (name, text) in filesByName)
        {
            var kind = KubernetesYaml.Deserialize<V1ConfigMap>(text).Kind;
            switch (kind)
            {
                case "Deployment": d = KubernetesYaml.Deserialize<V1Deployment>(text); break;
                case "Service": s = KubernetesYaml.Deserialize<V1Service>(text); break;
                case "ConfigMap": c = KubernetesYaml.Deserialize<V1ConfigMap>(text); break;
                default: throw new FormatException($"{name}: unknown kind {kind}");
            }
        }
        return new EnvironmentManifests(environment, d ?? throw new FormatException("no Deployment"), s ?? throw new FormatException("no Service"), c ?? throw new FormatException("no ConfigMap"));
    }
}

public static class ManifestValidator
{
    public static IReadOnlyList<string> Validate(EnvironmentManifests manifests)
    {
        var problems = new List<string>();
        foreach (var container in manifests.Deployment.Spec.Template.Spec.Containers)
            if (!container.Image.Contains("@sha256:", StringComparison.Ordinal))
                problems.Add($"deployment.yaml: container {container.Name} image {container.Image} is not pinned by digest");
        return problems;
    }
}

public static class ConfigHash
{
    public static string Compute(IReadOnlyDictionary<string, string> configMapData)
    {
        using var buffer = new MemoryStream();
        foreach (var (key, value) in configMapData.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            buffer.Write(Encoding.UTF8.GetBytes(key)); buffer.WriteByte(0);
            buffer.Write(Encoding.UTF8.GetBytes(value)); buffer.WriteByte(0);
        }
        return Convert.ToHexStringLower(SHA256.HashData(buffer.ToArray()));
    }
}
