using k8s;
using k8s.Models;

namespace Slipway.Delivery.Kubernetes;

/// <summary>One object Slipway applied, as listed in the inventory: "apps/v1 Deployment beacon".</summary>
public sealed record KubernetesObjectReference(string ApiVersion, string Kind, string Namespace, string Name)
{
    public static KubernetesObjectReference Of(IKubernetesObject<V1ObjectMeta> item) =>
        new(item.ApiVersion, item.Kind, item.Metadata.NamespaceProperty, item.Metadata.Name);

    /// <summary>The inventory line (the namespace is the inventory's own).</summary>
    public string InventoryLine => $"{ApiVersion} {Kind} {Name}";

    public static KubernetesObjectReference? ParseInventoryLine(string @namespace, string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length == 3 ? new KubernetesObjectReference(parts[0], parts[1], @namespace, parts[2]) : null;
    }

    public override string ToString() => $"{Kind} {Namespace}/{Name}";
}
