namespace Slipway.Delivery.Registry;

/// <summary>How long the client keeps trying a registry that fails transiently (connection refused, timeouts, 5xx, 429).</summary>
public sealed record RegistryRetryOptions
{
    /// <summary>Retries after the first attempt; 0 tries once.</summary>
    public int MaxRetryAttempts { get; init; } = 5;
    /// <summary>First backoff delay; doubles each retry (with jitter) up to <see cref="MaxDelay"/>.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Time one request may take, including streaming a large blob.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(10);
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public static RegistryRetryOptions Default { get; } = new();
}
