namespace Slipway.Delivery.Metrics;

/// <summary>
/// The period the figures cover: the <see cref="Days"/> calendar days (in <see cref="Zone"/>, UTC by default) that end
/// with the day of <see cref="Now"/>, from midnight to midnight, so a 7-day window charts exactly seven days.
/// All arithmetic is on instants (UTC); the zone only decides where a day begins.
/// </summary>
public sealed record DoraWindow
{
    public static IReadOnlyList<int> SupportedDays { get; } = [7, 30, 90];

    private DoraWindow(int days, DateTimeOffset now, TimeZoneInfo zone)
    {
        Days = days;
        Now = now.ToUniversalTime();
        Zone = zone;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        FirstDay = today.AddDays(1 - days);
        LastDay = today;
        Start = StartOfDay(FirstDay);
        End = StartOfDay(today.AddDays(1));
    }

    /// <summary>The window of <paramref name="days"/> (7, 30 or 90) calendar days ending today.</summary>
    public static DoraWindow LastDays(int days, DateTimeOffset now, TimeZoneInfo? zone = null)
    {
        if (!SupportedDays.Contains(days))
            throw new ArgumentOutOfRangeException(nameof(days), days, $"the window is {string.Join(", ", SupportedDays)} days (--window); {days} is not one of them");
        return new DoraWindow(days, now, zone ?? TimeZoneInfo.Utc);
    }

    public int Days { get; }
    public DateTimeOffset Now { get; }
    public TimeZoneInfo Zone { get; }
    public DateOnly FirstDay { get; }
    public DateOnly LastDay { get; }

    /// <summary>Midnight (in the zone) starting the first day, as a UTC instant.</summary>
    public DateTimeOffset Start { get; }

    /// <summary>Midnight (in the zone) after the last day, as a UTC instant; the window is [Start, End).</summary>
    public DateTimeOffset End { get; }

    public bool Contains(DateTimeOffset time) => time >= Start && time < End;

    /// <summary>The calendar day (in the zone) an instant falls on.</summary>
    public DateOnly DayOf(DateTimeOffset time) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time, Zone).DateTime);

    public IEnumerable<DateOnly> EachDay()
    {
        for (var day = FirstDay; day <= LastDay; day = day.AddDays(1)) yield return day;
    }

    /// <summary>The instant a day begins in the zone (a midnight skipped by a DST change moves to the next valid time).</summary>
    public DateTimeOffset StartOfDay(DateOnly day)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        while (Zone.IsInvalidTime(local)) local = local.AddMinutes(15);
        return new DateTimeOffset(local, Zone.GetUtcOffset(local)).ToUniversalTime();
    }
}
