using System.Globalization;

namespace Beacon.Faults;

/// <summary>
/// The faults applied to every non-probe request (configuration section "Faults"). Off unless Faults:Enabled is true:
/// then ErrorRate and LatencyMs apply and /fault/* answers; otherwise nothing is injected and /fault/* is 404. The
/// config repo never turns them on in production (the build and the agent refuse it).
/// </summary>
/// <param name="ErrorRate">Fraction of requests answered 500, 0 to 1 (Faults:ErrorRate).</param>
/// <param name="LatencyMs">Latency added to every request, in milliseconds (Faults:LatencyMs).</param>
/// <param name="Enabled">Whether faults may be injected at all (Faults:Enabled, default false).</param>
public sealed record InjectedFaults(double ErrorRate, int LatencyMs, bool Enabled = false)
{
    public static readonly InjectedFaults None = new(0, 0);

    /// <summary>Whether any request is slowed down or failed.</summary>
    public bool Active => Enabled && (ErrorRate > 0 || LatencyMs > 0);

    /// <summary>The largest latency a request may be given, here and on /fault/delay.</summary>
    public const int MaxLatencyMs = 30_000;

    /// <summary>Reads the "Faults" section; a bad value is an error that names the key and the allowed range.</summary>
    public static InjectedFaults Read(IConfiguration configuration)
    {
        var section = configuration.GetSection("Faults");
        var errorRate = ReadNumber(section, "ErrorRate", 0, 1);
        var latency = ReadNumber(section, "LatencyMs", 0, MaxLatencyMs);
        var enabledText = section["Enabled"];
        var enabled = string.IsNullOrWhiteSpace(enabledText) ? false
            : bool.TryParse(enabledText, out var flag) ? flag
            : throw new FormatException($"{section.Path}:Enabled is '{enabledText}', but it must be true or false " +
                                        $"(environment variable {section.Path}__Enabled, or the config directory's appsettings.json).");
        return new InjectedFaults(errorRate, (int)latency, enabled);
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
