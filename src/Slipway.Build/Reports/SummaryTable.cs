using System.Globalization;

namespace Slipway.Build;

/// <summary>The table that closes every run: target, status, duration, total.</summary>
internal static class SummaryTable
{
    public static IEnumerable<string> Render(IReadOnlyList<TargetResult> results, TimeSpan total, bool succeeded)
    {
        var nameWidth = Math.Max("Target".Length, results.Select(r => r.Name.Length).DefaultIfEmpty(0).Max());
        const int statusWidth = 10;
        var width = nameWidth + statusWidth + 16;
        yield return "";
        yield return new string('═', width);
        yield return $"{"Target".PadRight(nameWidth)}   {"Status".PadRight(statusWidth)}   Duration";
        yield return new string('─', width);
        foreach (var result in results)
        {
            var duration = result.Status is TargetStatus.Succeeded or TargetStatus.Failed or TargetStatus.UpToDate ? Format(result.Duration) : "–";
            var reason = result.Status is TargetStatus.Skipped or TargetStatus.NotRun && result.SkipReason is { } why ? $"   ({why})" : "";
            var status = result.Status == TargetStatus.UpToDate ? "Up to date" : result.Status.ToString();
            yield return $"{result.Name.PadRight(nameWidth)}   {status.PadRight(statusWidth)}   {duration}{reason}";
        }
        yield return new string('─', width);
        yield return $"{"Total".PadRight(nameWidth)}   {"".PadRight(statusWidth)}   {Format(total)}";
        yield return new string('═', width);
        yield return "";
        yield return succeeded ? $"Build succeeded in {Format(total)}." : $"Build failed in {Format(total)}.";
    }

    /// <summary>m:ss.fff — compact and sortable by eye.</summary>
    public static string Format(TimeSpan duration) =>
        string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalMinutes}:{duration.Seconds:00}.{duration.Milliseconds:000}");
}
