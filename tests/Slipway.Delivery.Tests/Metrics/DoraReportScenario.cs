using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Slipway.Delivery.Metrics;
using Slipway.Delivery.RunRecords;
using Spectre.Console;

namespace Slipway.Delivery.Tests.Metrics;

/// <summary>
/// A month of generated delivery history (real config and source repos, run records in the config repo) and the whole
/// Metrics call on it, for <see cref="DoraReportTests"/> (table and dora.json) and <see cref="DoraReportChromiumTests"/> (dora.html).
/// </summary>
public abstract class DoraReportScenario : IAsyncLifetime
{
    protected static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-28T17:00:00Z", CultureInfo.InvariantCulture);
    protected DeliveryHistory git = null!;

    public async ValueTask InitializeAsync() => git = await DeliveryHistory.CreateAsync();

    public ValueTask DisposeAsync()
    {
        git.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// 30 days of a team's delivery: most working days one or two deploys of one to four commits; a deploy rolled back after
    /// 25 minutes (whose rollback is itself reverted the next morning) and a fix forward after two hours.
    /// </summary>
    protected async Task GenerateMonthAsync()
    {
        var random = new Random(20261128);
        // One push for the whole month: nothing reads the config repo until the run records below.
        await git.InOnePushAsync(async () =>
        {
            var day = new DateTimeOffset(2026, 10, 30, 0, 0, 0, TimeSpan.Zero);
            string? live = null;
            for (var index = 0; index < 30; index++, day = day.AddDays(1))
            {
                if (day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday) continue;
                var deploys = 1 + random.Next(2);
                for (var deploy = 0; deploy < deploys; deploy++)
                {
                    var at = day.AddHours(10 + deploy * 4 + random.Next(3));
                    var commits = 1 + random.Next(4);
                    string source = "";
                    for (var commit = 0; commit < commits; commit++)
                        source = await git.SourceCommitAsync(Iso(at.AddMinutes(-(20 + random.Next(60 * 24 * (commit + 1)))).AddSeconds(-commit)), $"change {index}.{deploy}.{commit}");
                    var sha = await git.DeployAsync(Iso(at), source, changeType: "feature");
                    if (index == 10 && deploy == 0)
                    {
                        var rollback = await git.RollbackAsync(Iso(at.AddMinutes(25)), sha, live!);
                        await git.RollbackAsync(Iso(at.AddHours(20)), rollback, source);
                    }
                    else if (index == 18 && deploy == 0)
                    {
                        var fix = await git.SourceCommitAsync(Iso(at.AddMinutes(70)), "fix");
                        await git.DeployAsync(Iso(at.AddHours(2)), fix, changeType: "fix");
                        source = fix;
                    }
                    live = source;
                }
            }
            var last = await git.SourceCommitAsync(Iso(Now.AddHours(-3)), "late change");
            await git.DeployAsync(Iso(Now.AddHours(-2)), last);
        });

        var store = new RunRecordStore(git.Repository("runs"), git.Logs.Logger());
        string[] stages = ["Compile", "Test", "Containerize", "ContainerTest", "Push", "Deploy", "SmokeTest", "Promote"];
        double[] typical = [35, 80, 45, 110, 12, 8, 20, 150];
        for (var run = 0; run < 8; run++)
        {
            var start = Now.AddDays(-run * 3 - 1);
            var offset = TimeSpan.Zero;
            var records = new List<StageRecord>();
            for (var stage = 0; stage < stages.Length; stage++)
            {
                var duration = TimeSpan.FromSeconds(Math.Round(typical[stage] * (0.8 + random.NextDouble() * 0.5), 1));
                records.Add(new StageRecord(stages[stage], start + offset, duration, RunResult.Succeeded));
                offset += duration;
            }
            await store.AppendAsync(new RunRecord($"run-{run}", "local", start, offset, RunResult.Succeeded, "production",
                "127.0.0.1:5000/beacon@sha256:" + new string('c', 64), null, records), text => text, TestContext.Current.CancellationToken);
        }
    }

    protected static string Iso(DateTimeOffset time) => time.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    protected async Task<DoraArtifacts> ReportAsync(StringWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 160;
        return await new DoraMetrics(git.Repository(), git.Logs.Logger()).ReportAsync(
            new DoraRequest("production", 30, git.SourceDirectory, Path.Combine(git.Root, "artifacts"), Now: Now), console, TestContext.Current.CancellationToken);
    }
}
