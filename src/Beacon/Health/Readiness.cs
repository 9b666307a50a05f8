namespace Beacon.Health;

/// <summary>
/// Whether Beacon wants traffic. An operator can switch it off and on at run time (podinfo's
/// /readyz/disable and /readyz/enable); shutdown switches it off for good, so routers drain before
/// the listener closes.
/// </summary>
public sealed class Readiness
{
    volatile bool _disabled;
    volatile bool _shuttingDown;

    public Readiness(IHostApplicationLifetime lifetime) =>
        lifetime.ApplicationStopping.Register(MarkShuttingDown);

    public bool IsReady => !_disabled && !_shuttingDown;

    /// <summary>Why Beacon is not ready ("shutting down" or "disabled"), or null when it is.</summary>
    public string? Reason => _shuttingDown ? "shutting down" : _disabled ? "disabled" : null;

    public void Disable() => _disabled = true;

    public void Enable() => _disabled = false;

    public void MarkShuttingDown() => _shuttingDown = true;
}
