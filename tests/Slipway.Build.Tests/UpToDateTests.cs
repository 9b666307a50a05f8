namespace Slipway.Build.Tests;

/// <summary>Gradle's up-to-date check: incremental targets are skipped while their inputs and outputs are unchanged.</summary>
public class UpToDateTests
{
    /// <summary>Compile turns src/ into out/app.txt; Package copies it; both count their runs in the file system.</summary>
    private sealed class Incremental : SlipwayBuild
    {
        [Parameter("A value Compile depends on")] readonly string Flavour = "plain";
        [Parameter("A token"), Secret] readonly string? Token = null;
        [Parameter("Whether Package's live check holds")] readonly bool Published = true;

        AbsolutePath Source => RootDirectory / "src";
        AbsolutePath Output => RootDirectory / "out" / "app.txt";
        AbsolutePath Package => RootDirectory / "out" / "package.txt";

        Target Compile => _ => _
            .Inputs(() => [Source])
            .InputValues(() => Flavour)
            .Outputs(() => [Output])
            .WhenUpToDate(() => { Count("compile-reported"); return Task.CompletedTask; })
            .Executes(() =>
            {
                Count("compile-runs");
                Output.Parent!.CreateDirectory();
                Output.WriteAllText(string.Concat(Source.GlobFiles("*").Select(file => file.ReadAllText())) + Flavour);
            });

        Target Pack => _ => _
            .DependsOn(Compile)
            .InputValues(() => "v1")
            .Outputs(() => [Package])
            .UpToDateWhen(() => Task.FromResult(Published))
            .Executes(() =>
            {
                Count("pack-runs");
                Package.WriteAllText(Output.ReadAllText());
            });

        Target Leaky => _ => _
            .InputValues(() => Token)
            .Executes(() => { });

        Target Broken => _ => _
            .Inputs(() => [Source])
            .Executes(() =>
            {
                Count("broken-runs");
                throw new InvalidOperationException("broken");
            });

        void Count(string name)
        {
            var file = RootDirectory / $"{name}.count";
            file.WriteAllText(((file.FileExists() ? int.Parse(file.ReadAllText()) : 0) + 1).ToString());
        }
    }

    private static int Runs(TempRoot root, string name) =>
        (root.Path / $"{name}.count").FileExists() ? int.Parse((root.Path / $"{name}.count").ReadAllText()) : 0;

    private static TempRoot WithSource(string text = "a")
    {
        var root = new TempRoot();
        (root.Path / "src").CreateDirectory();
        (root.Path / "src" / "a.cs").WriteAllText(text);
        return root;
    }

    [Fact]
    public async Task A_second_run_with_nothing_changed_is_up_to_date_and_runs_the_up_to_date_actions()
    {
        using var root = WithSource();
        var first = await root.RunAsync(new Incremental(), "Pack");
        var second = await root.RunAsync(new Incremental(), "Pack");

        Assert.True(first.Succeeded, first.Output);
        Assert.True(second.Succeeded, second.Output);
        Assert.Equal(TargetStatus.Succeeded, first.StatusOf("Compile"));
        Assert.Equal(TargetStatus.UpToDate, second.StatusOf("Compile"));
        Assert.Equal(TargetStatus.UpToDate, second.StatusOf("Pack"));
        Assert.Equal(1, Runs(root, "compile-runs"));
        Assert.Equal(1, Runs(root, "pack-runs"));
        Assert.Equal(1, Runs(root, "compile-reported"));
        Assert.Contains("Compile is up to date", second.Output);
        Assert.Contains("Up to date", second.Output); // the summary table's status
    }

    [Fact]
    public async Task An_edited_input_file_reruns_the_target_and_names_the_file_and_its_dependents_rerun()
    {
        using var root = WithSource();
        await root.RunAsync(new Incremental(), "Pack");
        (root.Path / "src" / "a.cs").WriteAllText("b");
        var rerun = await root.RunAsync(new Incremental(), "Pack");

        Assert.Equal(TargetStatus.Succeeded, rerun.StatusOf("Compile"));
        Assert.Contains("1 input file(s) changed: src/a.cs", rerun.Output);
        Assert.Equal(TargetStatus.Succeeded, rerun.StatusOf("Pack")); // its dependency's output changed
        Assert.Contains("the outputs of Compile changed", rerun.Output);
        Assert.Equal("bplain", (root.Path / "out" / "package.txt").ReadAllText());
    }

    [Fact]
    public async Task An_added_file_a_changed_value_and_a_deleted_output_each_rerun_the_target()
    {
        using var root = WithSource();
        await root.RunAsync(new Incremental(), "Compile");

        (root.Path / "src" / "b.cs").WriteAllText("new");
        Assert.Equal(TargetStatus.Succeeded, (await root.RunAsync(new Incremental(), "Compile")).StatusOf("Compile"));

        var flavour = await root.RunAsync(new Incremental(), "Compile", "--flavour", "spicy");
        Assert.Equal(TargetStatus.Succeeded, flavour.StatusOf("Compile"));
        Assert.Contains("an input value changed", flavour.Output);

        (root.Path / "out" / "app.txt").DeleteFile();
        var restored = await root.RunAsync(new Incremental(), "Compile", "--flavour", "spicy");
        Assert.Equal(TargetStatus.Succeeded, restored.StatusOf("Compile"));
        Assert.Contains("outputs are missing", restored.Output);
        Assert.True((root.Path / "out" / "app.txt").FileExists());
        Assert.Equal(4, Runs(root, "compile-runs"));
    }

    [Fact]
    public async Task Build_output_folders_are_not_inputs()
    {
        using var root = WithSource();
        await root.RunAsync(new Incremental(), "Compile");
        (root.Path / "src" / "obj").CreateDirectory();
        (root.Path / "src" / "obj" / "generated.cs").WriteAllText("noise");

        Assert.Equal(TargetStatus.UpToDate, (await root.RunAsync(new Incremental(), "Compile")).StatusOf("Compile"));
    }

    [Fact]
    public async Task A_false_up_to_date_condition_reruns_the_target()
    {
        using var root = WithSource();
        await root.RunAsync(new Incremental(), "Pack");
        var rerun = await root.RunAsync(new Incremental(), "Pack", "--published", "false");

        Assert.Equal(TargetStatus.UpToDate, rerun.StatusOf("Compile"));
        Assert.Equal(TargetStatus.Succeeded, rerun.StatusOf("Pack"));
        Assert.Contains("up-to-date condition no longer holds", rerun.Output);
    }

    [Theory]
    [InlineData(null, TargetStatus.Succeeded)] // bare --force: every incremental target
    [InlineData("Pack", TargetStatus.UpToDate)] // --force Pack: that one only
    public async Task Force_runs_up_to_date_targets_all_or_the_named_ones(string? named, TargetStatus compile)
    {
        using var root = WithSource();
        await root.RunAsync(new Incremental(), "Pack");
        var forced = await root.RunAsync(new Incremental(), named is null ? ["Pack", "--force"] : ["Pack", "--force", named]);

        Assert.Equal(compile, forced.StatusOf("Compile"));
        Assert.Equal(TargetStatus.Succeeded, forced.StatusOf("Pack"));
        Assert.Equal(2, Runs(root, "pack-runs"));
    }

    [Fact]
    public async Task A_failed_target_is_never_up_to_date()
    {
        using var root = WithSource();
        await root.RunAsync(new Incremental(), "Broken");
        var again = await root.RunAsync(new Incremental(), "Broken");

        Assert.Equal(TargetStatus.Failed, again.StatusOf("Broken"));
        Assert.Equal(2, Runs(root, "broken-runs"));
    }

    [Fact]
    public async Task A_secret_is_refused_as_an_input_value_and_never_written()
    {
        using var root = WithSource();
        var outcome = await root.RunAsync(new Incremental(), "Leaky", "--token", "hunter2-secret");

        Assert.Equal(TargetStatus.Failed, outcome.StatusOf("Leaky"));
        Assert.Contains("secrets cannot be up-to-date inputs", outcome.Output);
        Assert.DoesNotContain("hunter2-secret", outcome.Output);
        Assert.False((root.Nuke / "temp" / "up-to-date" / "Leaky.json").FileExists());
    }
}
