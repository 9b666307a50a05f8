namespace Slipway.Build.Tests;

public class FailureTests
{
    private sealed class Failing : SlipwayBuild
    {
        Target Restore => _ => _.Executes(() => { });
        Target Compile => _ => _.DependsOn(Restore).Executes(() => throw new InvalidOperationException("compiler exploded"));
        Target Test => _ => _.DependsOn(Compile).Executes(() => { });
        Target Lint => _ => _.DependsOn(Restore).Executes(() => { });
        Target Docs => _ => _.Executes(() => { });
        Target Cleanup => _ => _.AssuredAfterFailure().Executes(() => { });
        Target All => _ => _.DependsOn(Test, Lint, Docs, Cleanup).Executes(() => { });
    }

    [Fact]
    public async Task A_failure_marks_dependents_NotRun_stops_the_rest_and_fails_the_run()
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new Failing(), "All");

        Assert.Equal(BuildRunner.FailureExitCode, outcome.ExitCode);
        Assert.Equal(TargetStatus.Succeeded, outcome.StatusOf("Restore"));
        Assert.Equal(TargetStatus.Failed, outcome.StatusOf("Compile"));
        Assert.Equal("compiler exploded", outcome.Result("Compile")!.Error);
        Assert.Equal(TargetStatus.NotRun, outcome.StatusOf("Test"));
        Assert.Equal(TargetStatus.NotRun, outcome.StatusOf("Docs")); // independent, but the run stopped
        Assert.Equal(TargetStatus.Succeeded, outcome.StatusOf("Cleanup")); // assured
        Assert.Equal(TargetStatus.NotRun, outcome.StatusOf("All"));
        Assert.Contains("compiler exploded", outcome.Output);
        Assert.Contains("Build failed", outcome.Output);
    }

    [Fact]
    public async Task Continue_runs_what_does_not_depend_on_the_failure()
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new Failing(), "All", "--continue");

        Assert.Equal(BuildRunner.FailureExitCode, outcome.ExitCode);
        Assert.Equal(TargetStatus.Failed, outcome.StatusOf("Compile"));
        Assert.Equal(TargetStatus.NotRun, outcome.StatusOf("Test"));
        Assert.Equal(TargetStatus.Succeeded, outcome.StatusOf("Lint"));
        Assert.Equal(TargetStatus.Succeeded, outcome.StatusOf("Docs"));
        Assert.Equal(TargetStatus.NotRun, outcome.StatusOf("All"));
    }

    private sealed class Proceeding : SlipwayBuild
    {
        Target Test => _ => _.ProceedAfterFailure().Executes(() => throw new InvalidOperationException("2 tests failed"));
        Target Report => _ => _.DependsOn(Test).Executes(() => { });
        Target Publish => _ => _.After(Report).Executes(() => { });
    }

    [Fact]
    public async Task ProceedAfterFailure_lets_the_run_go_on_but_still_fails_it()
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new Proceeding(), "Report", "Publish");

        Assert.Equal(BuildRunner.FailureExitCode, outcome.ExitCode);
        Assert.Equal(TargetStatus.Failed, outcome.StatusOf("Test"));
        Assert.Equal(TargetStatus.Succeeded, outcome.StatusOf("Report"));
        Assert.Equal(TargetStatus.Succeeded, outcome.StatusOf("Publish"));
    }

    private sealed class Skippable : SlipwayBuild
    {
        Target Restore => _ => _.Executes(() => { });
        Target Compile => _ => _.DependsOn(Restore).Executes(() => { });
        Target Pack => _ => _.DependsOn(Compile).Executes(() => { });
        Target Test => _ => _.DependsOn(Compile).Executes(() => { });
        Target Publish => _ => _.DependsOn(Pack, Test).Executes(() => { });
    }

    [Fact]
    public async Task Skip_with_names_skips_them_and_what_only_they_need()
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new Skippable(), "Publish", "--skip", "Pack");

        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(TargetStatus.Skipped, outcome.StatusOf("Pack"));
        Assert.Equal(["Restore", "Compile", "Test", "Publish"], outcome.ExecutedTargets); // Compile still needed by Test
    }

    [Fact]
    public async Task Bare_skip_skips_all_but_the_invoked_targets()
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new Skippable(), "Publish", "Test", "--skip");

        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(["Test", "Publish"], outcome.ExecutedTargets);
        Assert.All(["Restore", "Compile", "Pack"], t => Assert.Equal(TargetStatus.Skipped, outcome.StatusOf(t)));
    }

    private sealed class Conditional : SlipwayBuild
    {
        public bool PackAllowed { get; init; }
        public bool PublishAllowedAtRunTime { get; set; } = true;
        Target Restore => _ => _.Executes(() => { });
        Target Compile => _ => _.DependsOn(Restore).Executes(() => { });
        Target Pack => _ => _.DependsOn(Compile).OnlyWhenStatic(() => PackAllowed).Executes(() => { });
        Target Lint => _ => _.DependsOn(Restore).Executes(() => PublishAllowedAtRunTime = false);
        Target Publish => _ => _.DependsOn(Pack, Lint).OnlyWhenDynamic(() => PublishAllowedAtRunTime).Executes(() => { });
    }

    [Fact]
    public async Task OnlyWhenStatic_false_skips_the_target_and_dependencies_nobody_else_needs()
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new Conditional { PackAllowed = false }, "Publish");

        Assert.Equal(TargetStatus.Skipped, outcome.StatusOf("Pack"));
        Assert.Equal(TargetStatus.Skipped, outcome.StatusOf("Compile")); // only Pack needed it
        Assert.Equal(TargetStatus.Succeeded, outcome.StatusOf("Restore")); // Lint needs it
        Assert.Equal(TargetStatus.Succeeded, outcome.StatusOf("Lint"));
    }

    [Fact]
    public async Task OnlyWhenDynamic_is_evaluated_just_before_the_target_runs()
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new Conditional { PackAllowed = true }, "Publish");

        // Lint (which runs before Publish) turned the condition off: a static check would have seen true.
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(TargetStatus.Succeeded, outcome.StatusOf("Pack"));
        Assert.Equal(TargetStatus.Skipped, outcome.StatusOf("Publish"));
        Assert.DoesNotContain("Publish", outcome.ExecutedTargets);
    }

    private sealed class Requiring : SlipwayBuild
    {
        [Parameter("Registry password"), Secret] readonly string? RegistryPassword = null;
        [Parameter("Replica count")] readonly int Replicas = 1;
        public bool Ran { get; private set; }
        Target Early => _ => _.Executes(() => Ran = true);
        Target Push => _ => _.DependsOn(Early).Requires(() => RegistryPassword).Executes(() => { });
        Target Scale => _ => _.DependsOn(Early).Requires(() => Replicas > 2).Executes(() => { });
    }

    [Fact]
    public async Task Requires_is_checked_before_anything_runs_and_names_the_parameter()
    {
        using var root = new TempRoot();
        var build = new Requiring();
        var outcome = await root.RunAsync(build, "Push");

        Assert.Equal(BuildRunner.ConfigurationErrorExitCode, outcome.ExitCode);
        Assert.False(build.Ran);
        Assert.Contains("Target 'Push' requires parameter 'RegistryPassword'", outcome.Output);
        Assert.Contains("--registry-password", outcome.Output);
        Assert.Contains("REGISTRY_PASSWORD", outcome.Output);
    }

    [Fact]
    public async Task Requires_with_a_condition_quotes_it()
    {
        using var root = new TempRoot();
        var failing = await root.RunAsync(new Requiring(), "Scale");
        var passing = await root.RunAsync(new Requiring(), "Scale", "--replicas", "3");

        Assert.Equal(BuildRunner.ConfigurationErrorExitCode, failing.ExitCode);
        Assert.Contains("Target 'Scale' requires `(Replicas > 2)` to be true", failing.Output);
        Assert.Equal(0, passing.ExitCode);
    }

    private sealed class Async : SlipwayBuild
    {
        public List<string> Steps { get; } = [];
        Target Slow => _ => _
            .Executes(async () =>
            {
                await Task.Delay(50);
                await Task.Yield();
                Steps.Add("slow done");
            })
            .Executes(() => Steps.Add("second action"));
        Target After => _ => _.DependsOn(Slow).Executes(() => Steps.Add("after"));
        Target Throws => _ => _.Executes(async () =>
        {
            await Task.Yield();
            throw new InvalidOperationException("async failure");
        });
    }

    [Fact]
    public async Task Async_executes_are_awaited_and_actions_run_in_order()
    {
        using var root = new TempRoot();
        var build = new Async();
        var outcome = await root.RunAsync(build, "After");

        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(["slow done", "second action", "after"], build.Steps);
    }

    [Fact]
    public async Task An_async_exception_fails_the_target()
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new Async(), "Throws");

        Assert.Equal(TargetStatus.Failed, outcome.StatusOf("Throws"));
        Assert.Equal("async failure", outcome.Result("Throws")!.Error);
    }

    [Fact]
    public async Task The_summary_table_lists_every_planned_target_with_its_status()
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new Failing(), "All");

        var summary = outcome.Output[outcome.Output.LastIndexOf("Target ", StringComparison.Ordinal)..];
        Assert.Matches(@"Restore\s+Succeeded\s+\d+:\d\d\.\d{3}", summary);
        Assert.Matches(@"Compile\s+Failed\s+\d+:\d\d\.\d{3}", summary);
        Assert.Matches(@"Test\s+NotRun\s+–", summary);
        Assert.Matches(@"Total\s+\d+:\d\d\.\d{3}", summary);
    }
}
