using Slipway.Delivery.RunRecords;
using Slipway.Delivery.Tests.ConfigRepo;

namespace Slipway.Delivery.Tests.RunRecords;

/// <summary>Run records appended to a real config repo (a bare repo and clones), read back, and appended concurrently.</summary>
public sealed class RunRecordStoreTests : IDisposable
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-11-28T09:15:00+01:00", System.Globalization.CultureInfo.InvariantCulture);
    private readonly GitSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    private RunRecordStore Store(string clone = "work") => new(sandbox.Repository(clone), sandbox.Logs.Logger());

    private static RunRecord Record(string id, DateTimeOffset? start = null, RunResult result = RunResult.Succeeded)
    {
        var at = start ?? Start;
        return new RunRecord(id, "github-actions", at, TimeSpan.FromSeconds(95.25), result, "production",
            "127.0.0.1:5000/beacon@sha256:" + new string('b', 64), "0123456789abcdef0123456789abcdef01234567",
            [
                new StageRecord("Compile", at, TimeSpan.FromSeconds(20.5), RunResult.Succeeded),
                new StageRecord("ContainerTest", at.AddSeconds(20.5), TimeSpan.FromSeconds(60), RunResult.Succeeded),
                new StageRecord("Promote", at.AddSeconds(80.5), TimeSpan.FromSeconds(14.75), result),
            ]);
    }

    private static string Identity(string text) => text;

    [Fact]
    public async Task An_appended_record_reads_back_whole_from_the_month_file()
    {
        var record = Record("1234-1");
        var result = await Store().AppendAsync(record, Identity, TestContext.Current.CancellationToken);

        Assert.True(result.Changed);
        var read = Assert.Single(await Store("reader").ReadAsync(Start.AddHours(-1), Start.AddHours(1), TestContext.Current.CancellationToken));
        Assert.Equal(record with { Stages = [] }, read with { Stages = [] });
        Assert.Equal(record.Stages, read.Stages);
        var files = await GitSandbox.GitAsync(sandbox.BareRepository, "ls-tree", "-r", "--name-only", "main");
        Assert.Contains("runs/2026-11.jsonl", files.Split('\n'));
        Assert.Contains("runs/.gitattributes", files.Split('\n'));
        Assert.DoesNotContain(files.Split('\n'), file => file.StartsWith("environments/", StringComparison.Ordinal) && file != "environments/.gitkeep");
        var line = await GitSandbox.GitAsync(sandbox.BareRepository, "show", "main:runs/2026-11.jsonl");
        Assert.StartsWith("{\"runId\":\"1234-1\",\"ciHost\":\"github-actions\",\"start\":\"2026-11-28T09:15:00+01:00\",\"duration\":95.25,\"result\":\"succeeded\"", line);
        Assert.Empty(await Store("reader").ReadAsync(Start.AddHours(1), Start.AddHours(2), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task The_mask_is_applied_to_every_string_and_a_record_that_held_a_secret_is_refused()
    {
        var seen = new List<string>();
        await Store().AppendAsync(Record("run-7"), text => { seen.Add(text); return text; }, TestContext.Current.CancellationToken);
        Assert.Equal(["run-7", "github-actions", "production", "127.0.0.1:5000/beacon@sha256:" + new string('b', 64),
            "0123456789abcdef0123456789abcdef01234567", "Compile", "ContainerTest", "Promote"], seen);

        var leaking = Record("run-hunter2-8");
        var refused = await Assert.ThrowsAsync<ArgumentException>(() =>
            Store().AppendAsync(leaking, text => text.Replace("hunter2", "****", StringComparison.Ordinal), TestContext.Current.CancellationToken));
        Assert.Contains("run id 'run-****-8'", refused.Message);
        Assert.DoesNotContain("hunter2", refused.Message);
        Assert.Single(await Store("reader").ReadAsync(Start.AddDays(-1), Start.AddDays(1), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Free_text_is_refused_before_anything_is_written()
    {
        var bad = Record("run-9") with { Stages = [new StageRecord("Deploy with token=abc", Start, TimeSpan.FromSeconds(1), RunResult.Succeeded)] };

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => Store().AppendAsync(bad, Identity, TestContext.Current.CancellationToken));

        Assert.Contains("stage name", refused.Message);
        Assert.Empty(await Store("reader").ReadAsync(Start.AddDays(-1), Start.AddDays(1), TestContext.Current.CancellationToken));
    }

    [Fact]
    [Trait("Tier", "Engine")] // a race between real git processes: a drill of the real-engine tier
    public async Task Concurrent_appends_from_separate_clones_lose_nothing()
    {
        const int writers = 6;
        await Store().AppendAsync(Record("seed"), Identity, TestContext.Current.CancellationToken);   // the file exists: every writer appends to it

        var appends = Enumerable.Range(0, writers).Select(index => Task.Run(() =>
            Store($"writer-{index}").AppendAsync(Record($"run-{index}", Start.AddMinutes(index + 1)), Identity, TestContext.Current.CancellationToken)));
        var results = await Task.WhenAll(appends);

        Assert.All(results, result => Assert.True(result.Changed));
        var read = await Store("reader").ReadAsync(Start.AddDays(-1), Start.AddDays(1), TestContext.Current.CancellationToken);
        Assert.Equal(["seed", .. Enumerable.Range(0, writers).Select(index => $"run-{index}")], read.Select(record => record.RunId));
        var lines = (await GitSandbox.GitAsync(sandbox.BareRepository, "show", "main:runs/2026-11.jsonl")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(writers + 1, lines.Length);
        var retried = results.Count(result => result.PushAttempts > 1);
        TestContext.Current.SendDiagnosticMessage($"{writers} concurrent appends: {retried} needed a rebase, at most {results.Max(r => r.PushAttempts)} pushes");
    }

    [Fact]
    public async Task Records_go_to_the_file_of_their_utc_month_and_bad_lines_are_skipped_with_a_warning()
    {
        var lateOctoberUtc = DateTimeOffset.Parse("2026-11-01T00:30:00+01:00", System.Globalization.CultureInfo.InvariantCulture);   // 2026-10-31 23:30 UTC
        Assert.Equal("runs/2026-10.jsonl", RunRecordStore.FileFor(lateOctoberUtc));
        await Store().AppendAsync(Record("october", lateOctoberUtc), Identity, TestContext.Current.CancellationToken);
        await Store().AppendAsync(Record("november"), Identity, TestContext.Current.CancellationToken);
        var repository = sandbox.Repository("editor");
        await repository.CommitAsync("runs", async (work, token) =>
            await File.AppendAllTextAsync(Path.Combine(work, "runs", "2026-11.jsonl"), "{not json\n", token), "Hand edit", TestContext.Current.CancellationToken);

        var read = await Store("reader").ReadAsync(lateOctoberUtc.AddHours(-1), Start.AddHours(1), TestContext.Current.CancellationToken);

        Assert.Equal(["october", "november"], read.Select(record => record.RunId));
        Assert.Contains("Skipping runs/2026-11.jsonl line 2", sandbox.Logs.Text);
    }
}
