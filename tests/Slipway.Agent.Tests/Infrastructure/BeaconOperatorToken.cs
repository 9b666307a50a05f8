using Slipway.Delivery.Manifests;

namespace Slipway.Agent.Tests.Infrastructure;

/// <summary>
/// Beacon's readiness switch (/readyz/disable) needs an operator token. The drills that turn readiness off mount a
/// throw-away token beside Beacon's settings in their throw-away config repo; a real token is a mounted secret, never a
/// config-repo value.
/// </summary>
static class BeaconOperatorToken
{
    public const string Value = "drill-operator-token";

    /// <summary>The environment's files with the token in its ConfigMap and Beacon's settings pointing at it.</summary>
    public static Dictionary<string, string> MountInto(IEnumerable<KeyValuePair<string, string>> renderedFiles)
    {
        var files = renderedFiles.ToDictionary();
        var configMap = k8s.KubernetesYaml.Deserialize<k8s.Models.V1ConfigMap>(files[SlipwayMetadata.ConfigMapFile]);
        var settings = System.Text.Json.Nodes.JsonNode.Parse(configMap.Data["appsettings.json"])!.AsObject();
        settings["Operator"] = new System.Text.Json.Nodes.JsonObject { ["TokenFile"] = "/etc/beacon/operator-token" };
        configMap.Data["appsettings.json"] = settings.ToJsonString();
        configMap.Data["operator-token"] = Value;
        configMap.Metadata.Annotations[SlipwayMetadata.ConfigHashAnnotation] = ConfigHash.Compute(configMap.Data.ToDictionary());
        files[SlipwayMetadata.ConfigMapFile] = ManifestYaml.Serialize(configMap);
        return files;
    }

    /// <summary>The Authorization header Beacon's operator endpoints ask for.</summary>
    public static System.Net.Http.Headers.AuthenticationHeaderValue Header => new("Bearer", Value);
}
