using System.Collections.Concurrent;
using CliWrap;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Testing;

namespace Slipway.Agent.Tests;

/// <summary>A deploy under constant load from a second process (curl on loopback) drops no request.</summary>
[Trait("Tier", "Engine")]
public sealed class RollingUpdateTests(BeaconImages images) : IAsyncLifetime
{
    public ValueTask InitializeAsync() => images.EnsureBuiltAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_rolling_update_under_constant_load_fails_no_request()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        await agent.StartAsync();
        await agent.WaitForAsync("staging", await agent.Repo.CommitAsync("staging", images.ImageA, replicas: 2, hostPort: port));

        await using var load = LoadGenerator.Start($"http://127.0.0.1:{port}/api/greeting");
        await AgentUnderTest.EventuallyAsync(() => Task.FromResult(load.Total), n => n >= 50, "the load generator is running", seconds: 30);

        var next = await agent.Repo.CommitAsync("staging", images.ImageB, replicas: 2, hostPort: port);
        var status = await agent.WaitForAsync("staging", next);
        var atRollout = load.Total;
        await AgentUnderTest.EventuallyAsync(() => Task.FromResult(load.Total), n => n >= atRollout + 50, "load continues after the rollout", seconds: 30);
        var result = await load.StopAsync();

        Figures.Report(
            $"Rolling update of 2 replicas under load: {result.Failed} failed of {result.Total} requests ({string.Join(", ", result.ByStatus.Select(p => $"{p.Key}: {p.Value}"))})");
        Assert.Equal(images.ImageB.Split('@')[1], status.ImageDigest);
        Assert.True(result.Total > 100, $"only {result.Total} requests were made");
        Assert.Equal(0, result.Failed);
        Assert.All(await agent.ContainersAsync("staging"), c => Assert.Equal(images.ImageB, c.Image));
    }
}

/// <summary>
/// curl in its own process, requesting the URL again and again over one keep-alive connection (URL globbing),
/// writing one status line per response (with its time); 000 is a connection that failed or a request that got no
/// answer within <c>maxSeconds</c>.
/// </summary>
sealed class LoadGenerator : IAsyncDisposable
{
    const string Marker = "@@status=";
    readonly CancellationTokenSource stop = new();
    // SIGINT (graceful cancellation) is ignored by processes started from a non-interactive background job: kill after a grace period.
    readonly CancellationTokenSource kill = new();
    readonly ConcurrentDictionary<string, int> byStatus = new();
    readonly CommandTask<CommandResult> process;
    int total;
    long slowestMicroseconds;

    LoadGenerator(string url, int maxSeconds)
    {
        process = Cli.Wrap("curl")
            .WithArguments(["--silent", "--max-time", maxSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "--rate", "200/s",
                "--write-out", $"\n{Marker}%{{http_code}} %{{time_total}}\n", $"{url}?n=[1-100000000]"])
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line =>
            {
                if (!line.StartsWith(Marker, StringComparison.Ordinal)) return;
                var fields = line[Marker.Length..].Split(' ');
                byStatus.AddOrUpdate(fields[0], 1, (_, n) => n + 1);
                if (fields.Length > 1 && double.TryParse(fields[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
                    InterlockedMax(ref slowestMicroseconds, (long)(seconds * 1_000_000));
                Interlocked.Increment(ref total);
            }))
            .ExecuteAsync(kill.Token, stop.Token);
    }

    public int Total => Volatile.Read(ref total);

    /// <param name="maxSeconds">curl's --max-time: how long one request may wait for its answer before it counts as failed.</param>
    public static LoadGenerator Start(string url, int maxSeconds = 10) => new(url, maxSeconds);

    static void InterlockedMax(ref long target, long value)
    {
        for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
            if (Interlocked.CompareExchange(ref target, value, seen) == seen) return;
    }

    public async Task<LoadResult> StopAsync()
    {
        await stop.CancelAsync();
        kill.CancelAfter(TimeSpan.FromSeconds(5));
        try { await process; } catch (OperationCanceledException) { }
        var counts = byStatus.ToDictionary();
        return new LoadResult(counts.Values.Sum(), counts.Where(p => p.Key != "200").Sum(p => p.Value), counts,
            TimeSpan.FromMicroseconds(Volatile.Read(ref slowestMicroseconds)));
    }

    public async ValueTask DisposeAsync()
    {
        if (!stop.IsCancellationRequested) await StopAsync();
        stop.Dispose();
        kill.Dispose();
    }
}

/// <param name="Slowest">The longest time one request took (answered or not).</param>
sealed record LoadResult(int Total, int Failed, IReadOnlyDictionary<string, int> ByStatus, TimeSpan Slowest);
