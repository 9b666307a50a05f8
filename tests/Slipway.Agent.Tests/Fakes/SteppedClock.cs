using Microsoft.Extensions.Time.Testing;

namespace Slipway.Agent.Tests.Fakes;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that knows its pending timers, so a test runs work that waits on time (delays,
/// windows, drains, timeouts) to its end without sleeping: <see cref="RunAsync{T}"/> moves the clock to the next timer
/// the work waits on, again and again, until the work is done. With the fakes answering synchronously, the work runs
/// on inside each advance, so its waits are exactly as long in fake time as its code says.
/// </summary>
public sealed class SteppedClock() : FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero))
{
    /// <summary>Real time the work may go without finishing or waiting on this clock before the test fails (a hang, not a timing).</summary>
    static readonly TimeSpan Stuck = TimeSpan.FromSeconds(30);

    readonly Lock gate = new();
    // Held while the clock moves and while a timer is set: a timer is never set against one instant and registered at another.
    readonly Lock moving = new();
    readonly List<TrackedTimer> timers = [];
    TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Runs <paramref name="work"/> to its end, advancing the clock whenever it waits; at most <paramref name="limit"/> of fake time.</summary>
    public Task<T> RunAsync<T>(Func<Task<T>> work, TimeSpan? limit = null) =>
        // On a pool thread without a synchronization context, and the work started on the driver's own thread: what
        // the work does after a timer fires then runs inside Advance, so the clock never moves while the work runs.
        Task.Run(() => DriveAsync(work(), GetUtcNow() + (limit ?? TimeSpan.FromHours(2))), TestContext.Current.CancellationToken);

    async Task<T> DriveAsync<T>(Task<T> task, DateTimeOffset end)
    {
        while (!task.IsCompleted)
        {
            Task signal;
            lock (gate) signal = changed.Task;
            if (NextDue() is { } due)
            {
                if (due > end) throw new TimeoutException($"The work still waits on the clock at {end:O} of fake time.");
                lock (moving)
                {
                    var now = GetUtcNow();
                    Advance(due > now ? due - now : TimeSpan.Zero);
                }
                continue;
            }
            var finished = await Task.WhenAny(task, signal, Task.Delay(Stuck, TimeProvider.System, TestContext.Current.CancellationToken));
            if (finished != task && finished != signal)
                throw new TimeoutException($"The work neither finished nor waited on the clock for {Stuck.TotalSeconds:0}s of real time.");
        }
        return await task;
    }

    public Task RunAsync(Func<Task> work, TimeSpan? limit = null) => RunAsync(async () => { await work(); return true; }, limit);

    DateTimeOffset? NextDue()
    {
        lock (gate) return timers.Where(t => t.Due is not null).Select(t => t.Due).Min();
    }

    void Changed()
    {
        TaskCompletionSource previous;
        lock (gate)
        {
            previous = changed;
            changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        previous.TrySetResult();
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var tracked = new TrackedTimer(this);
        lock (moving)
        {
            // Tracked before the inner timer exists: one due at once may fire inside base.CreateTimer.
            tracked.Set(dueTime, period);
            lock (gate) timers.Add(tracked);
            tracked.Inner = base.CreateTimer(s => { tracked.Fired(); callback(s); }, state, dueTime, period);
        }
        Changed();
        return tracked;
    }

    sealed class TrackedTimer(SteppedClock clock) : ITimer
    {
        TimeSpan period;

        public ITimer Inner { get; set; } = null!;
        public DateTimeOffset? Due { get; private set; }

        public void Set(TimeSpan dueTime, TimeSpan periodTime)
        {
            var now = clock.GetUtcNow();
            lock (clock.gate)
            {
                period = periodTime;
                Due = dueTime == Timeout.InfiniteTimeSpan ? null : now + dueTime;
            }
        }

        public void Fired()
        {
            lock (clock.gate)
                Due = period > TimeSpan.Zero && period != Timeout.InfiniteTimeSpan ? Due + period : null;
        }

        public bool Change(TimeSpan dueTime, TimeSpan periodTime)
        {
            bool changed;
            lock (clock.moving)
            {
                Set(dueTime, periodTime);
                changed = Inner.Change(dueTime, periodTime);
            }
            clock.Changed();
            return changed;
        }

        public void Dispose()
        {
            Forget();
            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Forget();
            return Inner.DisposeAsync();
        }

        void Forget()
        {
            lock (clock.gate)
            {
                Due = null;
                clock.timers.Remove(this);
            }
            clock.Changed();
        }
    }
}
