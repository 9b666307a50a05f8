using Microsoft.Extensions.Primitives;

namespace Beacon.Faults;

/// <summary>
/// The current <see cref="Faults"/>, re-read whenever configuration reloads (the config directory, or the
/// environment at start). An invalid value at start fails the start; on a reload it is logged and the
/// previous faults stay in force.
/// </summary>
public sealed class FaultSettings : IDisposable
{
    readonly IConfiguration _configuration;
    readonly ILogger<FaultSettings> _logger;
    readonly IDisposable _subscription;
    volatile InjectedFaults _current;

    public FaultSettings(IConfiguration configuration, ILogger<FaultSettings> logger)
    {
        _configuration = configuration;
        _logger = logger;
        _current = InjectedFaults.Read(configuration);
        _subscription = ChangeToken.OnChange(configuration.GetReloadToken, Reload);
    }

    public InjectedFaults Current => _current;

    void Reload()
    {
        try
        {
            var next = InjectedFaults.Read(_configuration);
            if (next != _current)
                _logger.LogInformation("Faults changed: enabled {Enabled}, error rate {ErrorRate}, added latency {LatencyMs} ms", next.Enabled, next.ErrorRate, next.LatencyMs);
            _current = next;
        }
        catch (FormatException exception)
        {
            _logger.LogError("{Problem} Keeping the previous faults: error rate {ErrorRate}, added latency {LatencyMs} ms",
                exception.Message, _current.ErrorRate, _current.LatencyMs);
        }
    }

    public void Dispose() => _subscription.Dispose();
}
