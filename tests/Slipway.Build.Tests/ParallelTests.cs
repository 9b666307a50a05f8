using System.Text.RegularExpressions;

namespace Slipway.Build.Tests;

public class ParallelTests
{
    private sealed class Diamond(Rendezvous? meeting) : SlipwayBuild
    {
        Target Restore => _ => _.Executes(() => Log.Information("restore"));

        Target Left => _ => _.DependsOn(Restore).Executes(async () =>
        {
            Log.Information("left 1");
            if (meeting is not null)
            {
                await meeting.ArriveAndWaitAsync();
            }
            Log.Information("left 2");
        });

        Target Right => _ => _.DependsOn(Restore).Executes(async () =>
        {
            Log.Information("right 1");
            if (meeting is not null)
            {
                await meeting.ArriveAndWaitAsync();
            }
            Log.Information("right 2");
        });

        Target Join => _ => _.DependsOn(Left, Right).Executes(() => Log.Information("join"));
    }

    [Fact]
    public async Task Independent_targets_overlap_and_each_log_stays_together()
    {
        using var root = new TempRoot();
        // Left and Right each wait for the other: they can only both succeed if they run at the same time.
        var outcome = await root.RunAsync(new Diamond(new Rendezvous(2)), "Join", "--parallel");

        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(["Restore", "Left", "Right", "Join"], outcome.Results.Select(r => r.Name));
        Assert.All(outcome.Results, r => Assert.Equal(TargetStatus.Succeeded, r.Status));
        Assert.Equal("Restore", outcome.ExecutedTargets[0]);
        Assert.Equal("Join", outcome.ExecutedTargets[^1]);

        var lines = outcome.Output.Split('\n');
        int Line(string text) => Array.FindIndex(lines, l => l.EndsWith(text, StringComparison.Ordinal));
        Assert.Equal(Line("left 1") + 1, Line("left 2"));
        Assert.Equal(Line("right 1") + 1, Line("right 2"));
        Assert.True(Line("join") > Math.Max(Line("left 2"), Line("right 2")));
    }

    [Fact]
    public async Task The_summary_is_the_same_as_a_sequential_run()
    {
        using var root = new TempRoot();
        var sequential = await root.RunAsync(new Diamond(null), "Join");
        var parallel = await root.RunAsync(new Diamond(null), "Join", "--parallel");

        static string Summary(BuildOutcome outcome)
        {
            var start = outcome.Output.LastIndexOf("Target ", StringComparison.Ordinal);
            return Regex.Replace(outcome.Output[start..], @"\d+:\d\d\.\d{3}", "T");
        }
        Assert.Equal(Summary(sequential), Summary(parallel));
        Assert.Equal(sequential.Results.Select(r => (r.Name, r.Status)), parallel.Results.Select(r => (r.Name, r.Status)));
    }

    private sealed class FailingBranch : SlipwayBuild
    {
        Target Bad => _ => _.Executes(async () =>
        {
            await Task.Yield();
            throw new InvalidOperationException("bad branch");
        });
        Target AfterBad => _ => _.DependsOn(Bad).Executes(() => { });
        Target Good => _ => _.Executes(() => { });
        Target All => _ => _.DependsOn(AfterBad, Good).Executes(() => { });
    }

    [Fact]
    public async Task A_failure_under_parallel_marks_dependents_NotRun()
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new FailingBranch(), "All", "--parallel", "--continue");

        Assert.Equal(BuildRunner.FailureExitCode, outcome.ExitCode);
        Assert.Equal(TargetStatus.Failed, outcome.StatusOf("Bad"));
        Assert.Equal(TargetStatus.NotRun, outcome.StatusOf("AfterBad"));
        Assert.Equal(TargetStatus.Succeeded, outcome.StatusOf("Good"));
        Assert.Equal(TargetStatus.NotRun, outcome.StatusOf("All"));
    }

    private sealed class Tagged(string tag, Rendezvous meeting) : SlipwayBuild
    {
        [Parameter("Label")] readonly string Label = "unset";
        [Parameter("Secret"), Secret] readonly string? Password = null;
        public string? SeenLabel { get; private set; }
        public CiHostName SeenHost { get; private set; }

        Target Work => _ => _.Executes(async () =>
        {
            Log.Information("{Tag} working with {Password}", tag, Password);
            await meeting.ArriveAndWaitAsync();
            SeenLabel = Label;
            SeenHost = Host.Name;
            AddClosingLine($"closing {tag}");
        });
    }

    [Fact]
    public async Task Two_builds_running_at_once_in_one_process_do_not_interfere()
    {
        using var rootA = new TempRoot();
        using var rootB = new TempRoot();
        var meeting = new Rendezvous(2);
        var buildA = new Tagged("alpha", meeting);
        var buildB = new Tagged("beta", meeting);

        var runs = await Task.WhenAll(
            rootA.RunAsync(buildA, new Dictionary<string, string?> { ["GITLAB_CI"] = "true" }, "Work", "--label", "A", "--password", "pw-alpha"),
            rootB.RunAsync(buildB, new Dictionary<string, string?> { ["TF_BUILD"] = "True" }, "Work", "--label", "B", "--password", "pw-beta"));

        Assert.All(runs, r => Assert.Equal(0, r.ExitCode));
        Assert.Equal(("A", CiHostName.GitLab), (buildA.SeenLabel, buildA.SeenHost));
        Assert.Equal(("B", CiHostName.AzurePipelines), (buildB.SeenLabel, buildB.SeenHost));
        Assert.Contains("alpha working with ***", runs[0].Output);
        Assert.DoesNotContain("beta", runs[0].Output);
        Assert.Contains("beta working with ***", runs[1].Output);
        Assert.DoesNotContain("alpha", runs[1].Output);
        Assert.EndsWith("closing alpha\n", runs[0].Output);
        Assert.EndsWith("closing beta\n", runs[1].Output);
    }
}

public class ProgressTests
{
    private sealed class Slow(LockedStringWriter output) : SlipwayBuild
    {
        // Waits (bounded) until the engine has reported progress, so the test never depends on how long anything takes.
        Target Long => _ => _.Executes(async () =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!output.ToString().Contains("Long still running", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_long_target_reports_that_it_is_still_running(bool parallel)
    {
        using var root = new TempRoot();
        var writer = new LockedStringWriter();
        var outcome = await BuildRunner.RunAsync(new Slow(writer), new BuildInvocation
        {
            Arguments = parallel ? ["Long", "--parallel"] : ["Long"],
            RootDirectory = root.Path,
            Output = writer,
            ProgressInterval = TimeSpan.FromMilliseconds(50),
        });

        Assert.Equal(0, outcome.ExitCode);
        Assert.Matches(@"Long still running \(\d+:\d\d\.\d{3}\)", outcome.Output);
    }
}
