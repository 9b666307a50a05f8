namespace Beacon.Tests.Support;

public static class Eventually
{
    /// <summary>Polls <paramref name="probe"/> until it returns a value <paramref name="accept"/> takes, within a bounded wait.</summary>
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> accept, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        T last;
        do
        {
            last = await probe();
            if (accept(last))
                return last;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"Waited for {what}; last seen: {last}");
    }
}
