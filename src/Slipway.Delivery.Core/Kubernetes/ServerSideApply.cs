using System.Net;
using System.Text.RegularExpressions;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Slipway.Delivery.Kubernetes;

/// <summary>
/// Server-side apply of the kinds Slipway manages, always as field manager "slipway" and never forced:
/// a 409 becomes a <see cref="KubernetesApplyConflictException"/> naming each field and its manager.
/// </summary>
internal sealed partial class ServerSideApply(IKubernetes client)
{
    public Task<V1Namespace> NamespaceAsync(V1Namespace body, CancellationToken cancellationToken) =>
        Translate(body, () => client.CoreV1.PatchNamespaceAsync(Patch(body), body.Metadata.Name,
            fieldManager: SlipwayKubernetesLabels.FieldManager, force: false, cancellationToken: cancellationToken));

    public Task<V1ConfigMap> ConfigMapAsync(V1ConfigMap body, CancellationToken cancellationToken) =>
        Translate(body, () => client.CoreV1.PatchNamespacedConfigMapAsync(Patch(body), body.Metadata.Name, body.Metadata.NamespaceProperty,
            fieldManager: SlipwayKubernetesLabels.FieldManager, force: false, cancellationToken: cancellationToken));

    public Task<V1Service> ServiceAsync(V1Service body, CancellationToken cancellationToken) =>
        Translate(body, () => client.CoreV1.PatchNamespacedServiceAsync(Patch(body), body.Metadata.Name, body.Metadata.NamespaceProperty,
            fieldManager: SlipwayKubernetesLabels.FieldManager, force: false, cancellationToken: cancellationToken));

    public Task<V1Deployment> DeploymentAsync(V1Deployment body, CancellationToken cancellationToken) =>
        Translate(body, () => client.AppsV1.PatchNamespacedDeploymentAsync(Patch(body), body.Metadata.Name, body.Metadata.NamespaceProperty,
            fieldManager: SlipwayKubernetesLabels.FieldManager, force: false, cancellationToken: cancellationToken));

    /// <summary>Applies a custom resource (e.g. a Gateway API HTTPRoute) given as a JSON-serialisable object.</summary>
    public Task<object> CustomObjectAsync(string group, string version, string plural, string @namespace, string name, string kind, object body,
        CancellationToken cancellationToken) =>
        Translate($"{kind} {@namespace}/{name}", () => client.CustomObjects.PatchNamespacedCustomObjectAsync(Patch(body), group, version, @namespace, plural, name,
            fieldManager: SlipwayKubernetesLabels.FieldManager, force: false, cancellationToken: cancellationToken));

    public static string Describe(IKubernetesObject<V1ObjectMeta> item) =>
        item.Metadata.NamespaceProperty is { } ns ? $"{item.Kind} {ns}/{item.Metadata.Name}" : $"{item.Kind} {item.Metadata.Name}";

    // KubernetesClient sends the object as JSON, which is YAML too: the apply-patch+yaml body.
    private static V1Patch Patch(object body) => new(body, V1Patch.PatchType.ApplyPatch);

    private static Task<T> Translate<T>(IKubernetesObject<V1ObjectMeta> body, Func<Task<T>> apply) => Translate(Describe(body), apply);

    private static async Task<T> Translate<T>(string description, Func<Task<T>> apply)
    {
        try
        {
            return await apply().ConfigureAwait(false);
        }
        catch (HttpOperationException exception) when (exception.Response.StatusCode == HttpStatusCode.Conflict)
        {
            var status = KubernetesStatus.Read(exception);
            var conflicts = (status?.Details?.Causes ?? [])
                .Where(cause => cause.Field is not null)
                .Select(cause => new FieldConflict(cause.Field, ManagerIn(cause.Message) ?? "(unknown manager)"))
                .ToList();
            throw new KubernetesApplyConflictException(description, conflicts, status?.Message ?? exception.Response.Content);
        }
        catch (HttpOperationException exception)
        {
            throw KubernetesStatus.Failure(description, "server-side apply", exception);
        }
    }

    // The API server's cause message reads: conflict with "kubectl-edit" using apps/v1
    private static string? ManagerIn(string? message) =>
        message is not null && ManagerPattern().Match(message) is { Success: true } match ? match.Groups[1].Value : null;

    [GeneratedRegex("conflict with \"([^\"]+)\"")]
    private static partial Regex ManagerPattern();
}

/// <summary>Reads the Status object an API server returns with an error.</summary>
internal static class KubernetesStatus
{
    public static V1Status? Read(HttpOperationException exception)
    {
        try
        {
            return string.IsNullOrEmpty(exception.Response?.Content) ? null : KubernetesJson.Deserialize<V1Status>(exception.Response.Content);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    public static KubernetesOperationException Failure(string description, string operation, HttpOperationException exception)
    {
        var status = Read(exception);
        var reason = status?.Message ?? exception.Response?.Content ?? exception.Message;
        var hint = exception.Response?.StatusCode switch
        {
            HttpStatusCode.Forbidden => "; the credential lacks the right: check the agent's Role in deploy/kubernetes/agent-rbac.yaml",
            HttpStatusCode.Unauthorized => "; the credential was refused: refresh the kubeconfig or the service account token",
            HttpStatusCode.NotFound => "; does the namespace (environment) exist?",
            _ => "",
        };
        return new KubernetesOperationException($"{description}: {operation} failed ({(int?)exception.Response?.StatusCode} " +
                                                $"{status?.Reason}): {reason}{hint}", exception);
    }
}

/// <summary>The API server refused an operation for a reason other than an apply conflict.</summary>
public sealed class KubernetesOperationException(string message, Exception? inner = null) : InvalidOperationException(message, inner);
