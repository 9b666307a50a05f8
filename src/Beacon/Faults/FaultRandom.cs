namespace Beacon.Faults;

/// <summary>
/// The dice that decide which requests the configured error rate fails. A service of its own so tests can
/// give it a seeded <see cref="Random"/> and know exactly which requests fail. Safe across threads.
/// </summary>
public sealed class FaultRandom(Random source)
{
    readonly Lock _gate = new();

    /// <summary>A value in [0, 1).</summary>
    public double NextDouble()
    {
        lock (_gate)
            return source.NextDouble();
    }
}
