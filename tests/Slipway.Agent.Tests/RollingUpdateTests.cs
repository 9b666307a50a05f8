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
/// writing one status line per response; 000 is a connection that failed.
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

    LoadGenerator(string url)
    {
        process = Cli.Wrap("curl")
            .WithArguments(["--silent", "--max-time", "10", "--rate", "200/s", "--write-out", $"\n{Marker}%{{http_code}}\n", $"{url}?n=[1-100000000]"])
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line =>
            {
                if (!line.StartsWith(Marker, StringComparison.Ordinal)) return;
                byStatus.AddOrUpdate(line[Marker.Length..], 1, (_, n) => n + 1);
                Interlocked.Increment(ref total);
            }))
            .ExecuteAsync(kill.Token, stop.Token);
    }

    public int Total => Volatile.Read(ref total);

    public static LoadGenerator Start(string url) => new(url);

    public async Task<LoadResult> StopAsync()
    {
        await stop.CancelAsync();
        kill.CancelAfter(TimeSpan.FromSeconds(5));
        try { await process; } catch (OperationCanceledException) { }
        var counts = byStatus.ToDictionary();
        return new LoadResult(counts.Values.Sum(), counts.Where(p => p.Key != "200").Sum(p => p.Value), counts);
    }

    public async ValueTask DisposeAsync()
    {
        if (!stop.IsCancellationRequested) await StopAsync();
        stop.Dispose();
        kill.Dispose();
    }
}

sealed record LoadResult(int Total, int Failed, IReadOnlyDictionary<string, int> ByStatus);
