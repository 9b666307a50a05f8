using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace Beacon.Faults;

/// <summary>The faults applied to every non-probe request (configuration section "Faults").</summary>
/// <param name="ErrorRate">Fraction of requests answered 500, 0 to 1 (Faults:ErrorRate).</param>
/// <param name="LatencyMs">Latency added to every request, in milliseconds (Faults:LatencyMs).</param>
public sealed record Faults(double ErrorRate, int LatencyMs)
{
    public static readonly Faults None = new(0, 0);

    /// <summary>The largest latency a request may be given, here and on /fault/delay.</summary>
    public const int MaxLatencyMs = 30_000;

    /// <summary>Reads the "Faults" section; a bad value is an error that names the key and the allowed range.</summary>
    public static Faults Read(IConfiguration configuration)
    {
        var section = configuration.GetSection("Faults");
        var errorRate = ReadNumber(section, "ErrorRate", 0, 1);
        var latency = ReadNumber(section, "LatencyMs", 0, MaxLatencyMs);
        return new Faults(errorRate, (int)latency);
    }

    static double ReadNumber(IConfigurationSection section, string key, double min, double max)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
            return 0;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new FormatException(
                $"{section.Path}:{key} is '{text}', but it must be a number from {min.ToString(CultureInfo.InvariantCulture)} " +
                $"to {max.ToString(CultureInfo.InvariantCulture)} (environment variable {section.Path}__{key}, or the config directory's appsettings.json).");
        return value;
    }
}

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
    volatile Faults _current;

    public FaultSettings(IConfiguration configuration, ILogger<FaultSettings> logger)
    {
        _configuration = configuration;
        _logger = logger;
        _current = Faults.Read(configuration);
        _subscription = ChangeToken.OnChange(configuration.GetReloadToken, Reload);
    }

    public Faults Current => _current;

    void Reload()
    {
        try
        {
            var next = Faults.Read(_configuration);
            if (next != _current)
                _logger.LogInformation("Faults changed: error rate {ErrorRate}, added latency {LatencyMs} ms", next.ErrorRate, next.LatencyMs);
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
