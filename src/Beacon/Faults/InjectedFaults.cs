using System.Globalization;

namespace Beacon.Faults;

/// <summary>The faults applied to every non-probe request (configuration section "Faults").</summary>
/// <param name="ErrorRate">Fraction of requests answered 500, 0 to 1 (Faults:ErrorRate).</param>
/// <param name="LatencyMs">Latency added to every request, in milliseconds (Faults:LatencyMs).</param>
public sealed record InjectedFaults(double ErrorRate, int LatencyMs)
{
    public static readonly InjectedFaults None = new(0, 0);

    /// <summary>The largest latency a request may be given, here and on /fault/delay.</summary>
    public const int MaxLatencyMs = 30_000;

    /// <summary>Reads the "Faults" section; a bad value is an error that names the key and the allowed range.</summary>
    public static InjectedFaults Read(IConfiguration configuration)
    {
        var section = configuration.GetSection("Faults");
        var errorRate = ReadNumber(section, "ErrorRate", 0, 1);
        var latency = ReadNumber(section, "LatencyMs", 0, MaxLatencyMs);
        return new InjectedFaults(errorRate, (int)latency);
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
