namespace Slipway.Agent.Api;

/// <summary>
/// The webhook delivery ids (X-GitHub-Delivery) already accepted, the newest <see cref="Capacity"/> of them, so a
/// delivery sent again is refused while memory stays bounded.
/// </summary>
public sealed class WebhookDeliveries
{
    public const int Capacity = 4096;
    readonly Lock gate = new();
    readonly HashSet<string> seen = new(StringComparer.Ordinal);
    readonly Queue<string> order = new();

    /// <summary>Records <paramref name="deliveryId"/>; false when it was already recorded (a replay).</summary>
    public bool TryRecord(string deliveryId)
    {
        lock (gate)
        {
            if (!seen.Add(deliveryId)) return false;
            order.Enqueue(deliveryId);
            if (order.Count > Capacity) seen.Remove(order.Dequeue());
            return true;
        }
    }
}
