namespace Slipway.Delivery.Kubernetes;

/// <summary>One field another field manager owns with a different value.</summary>
public sealed record FieldConflict(string Field, string Manager);

/// <summary>
/// A server-side apply was refused with 409 Conflict: other field managers own fields Slipway wants to set.
/// Slipway never forces; whoever changed the field by hand (kubectl scale, kubectl edit, an HPA) must give it back.
/// </summary>
public sealed class KubernetesApplyConflictException : InvalidOperationException
{
    public KubernetesApplyConflictException(string objectDescription, IReadOnlyList<FieldConflict> conflicts, string serverMessage)
        : base(Describe(objectDescription, conflicts, serverMessage))
    {
        ObjectDescription = objectDescription;
        Conflicts = conflicts;
        ServerMessage = serverMessage;
    }

    /// <summary>e.g. "Deployment staging/beacon".</summary>
    public string ObjectDescription { get; }
    public IReadOnlyList<FieldConflict> Conflicts { get; }
    public string ServerMessage { get; }

    private static string Describe(string objectDescription, IReadOnlyList<FieldConflict> conflicts, string serverMessage)
    {
        var fields = conflicts.Count == 0
            ? serverMessage
            : string.Join("; ", conflicts.Select(conflict => $"{conflict.Field} is managed by '{conflict.Manager}'"));
        return $"{objectDescription}: server-side apply conflict, not forced: {fields}. Another tool changed what Git declares; " +
               "either put the value in Git, or release the field from that manager (e.g. re-apply with its own tool " +
               "without the field), then deploy again.";
    }
}
