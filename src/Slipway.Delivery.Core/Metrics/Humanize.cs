using System.Globalization;

namespace Slipway.Delivery.Metrics;

/// <summary>Short, human wording for figures in the table and the HTML report.</summary>
public static class Humanize
{
    public static string Duration(TimeSpan? value)
    {
        if (value is not { } duration) return "—";
        return duration.TotalSeconds switch
        {
            0 => "0 s",
            < 1 => $"{duration.TotalMilliseconds:0} ms",
            < 60 => $"{duration.TotalSeconds:0.#} s",
            < 3600 => $"{duration.TotalMinutes:0.#} min",
            < 86400 => $"{duration.TotalHours:0.#} h",
            _ => $"{duration.TotalDays:0.#} d",
        };
    }

    public static string Percent(double? value) => value is { } rate ? rate.ToString("0.#%", CultureInfo.InvariantCulture) : "—";

    public static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    public static string Cluster(PerformanceCluster? cluster) => cluster?.ToString() ?? "—";
}
