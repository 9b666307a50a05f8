using System.Diagnostics;
using Slipway.Delivery.ConfigRepo;

namespace Slipway.Delivery.Tests.ConfigRepo;

/// <summary>
/// Figures, not a pass/fail timing: N pipelines (own clones) push to one config repo at once. Prints wall time and
/// push attempts. Run: dotnet test tests/Slipway.Delivery.Tests -- --filter-class "*ConcurrentCommitBenchmark*" --explicit only --report-trx
/// </summary>
public sealed class ConcurrentCommitBenchmark
{
    [Theory(Explicit = true)]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(12)]
    public async Task Concurrent_committers(int committers)
    {
        using var sandbox = new GitSandbox();
        await sandbox.Repository("seeder").SyncAsync(TestContext.Current.CancellationToken);
        var repositories = Enumerable.Range(0, committers).Select(index => sandbox.Repository($"clone-{index}")).ToList();
        await Task.WhenAll(repositories.Select(repository => repository.SyncAsync(TestContext.Current.CancellationToken)));

        var clock = Stopwatch.StartNew();
        var results = await Task.WhenAll(repositories.Select((repository, index) => Task.Run(() => repository.CommitAsync("notes",
            async (work, token) =>
            {
                Directory.CreateDirectory(Path.Combine(work, "notes"));
                await File.WriteAllTextAsync(Path.Combine(work, "notes", $"{index}.txt"), $"{index}\n", token);
            }, $"Note {index}\n", TestContext.Current.CancellationToken))));
        clock.Stop();

        Assert.All(results, result => Assert.True(result.Changed));
        var attempts = results.Select(result => result.PushAttempts).Order().ToList();
        TestContext.Current.TestOutputHelper!.WriteLine(
            $"{committers} concurrent committers: all landed in {clock.Elapsed.TotalSeconds:0.00} s; push attempts min {attempts[0]}, " +
            $"median {attempts[attempts.Count / 2]}, max {attempts[^1]} (limit {sandbox.Repository().Options.MaxPushAttempts}); load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
    }
}
