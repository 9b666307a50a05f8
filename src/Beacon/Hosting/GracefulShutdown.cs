using Beacon.Health;

namespace Beacon.Hosting;

/// <summary>Shutdown settings (configuration section "Shutdown").</summary>
/// <param name="DrainDelay">How long Beacon keeps serving, unready, after SIGTERM before its listener closes (Shutdown:DrainDelaySeconds).</param>
/// <param name="Timeout">How long in-flight requests may take to finish once the listener closes (Shutdown:TimeoutSeconds).</param>
public sealed record ShutdownSettings(TimeSpan DrainDelay, TimeSpan Timeout)
{
    public static ShutdownSettings Read(IConfiguration configuration)
    {
        var section = configuration.GetSection("Shutdown");
        return new ShutdownSettings(
            TimeSpan.FromSeconds(ReadSeconds(section, "DrainDelaySeconds", 0)),
            TimeSpan.FromSeconds(ReadSeconds(section, "TimeoutSeconds", 30)));
    }

    static double ReadSeconds(IConfigurationSection section, string key, double fallback)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
            return fallback;
        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            || seconds is < 0 or > 3600)
            throw new FormatException($"{section.Path}:{key} is '{text}', but it must be a number of seconds from 0 to 3600 (environment variable {section.Path}__{key}).");
        return seconds;
    }
}

/// <summary>
/// On SIGTERM: /readyz turns 503 at once (the lifetime's stopping signal), then Beacon keeps serving for the
/// drain delay so routers take it out of rotation, then the listener closes and in-flight requests finish
/// within the host's shutdown timeout.
/// </summary>
public sealed class GracefulShutdown(Readiness readiness, ShutdownSettings settings, TimeProvider time, ILogger<GracefulShutdown> logger)
    : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        readiness.MarkShuttingDown();
        logger.LogInformation("Shutting down: unready now, draining for {DrainDelay}", settings.DrainDelay);
        if (settings.DrainDelay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(settings.DrainDelay, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                logger.LogWarning("Shutdown timeout reached during the drain delay");
            }
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
