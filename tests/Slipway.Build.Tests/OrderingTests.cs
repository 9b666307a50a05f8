namespace Slipway.Build.Tests;

public class OrderingTests
{
    private sealed class Chain : SlipwayBuild
    {
        // Declared out of execution order on purpose: the plan follows the graph, ties follow declaration.
        Target Test => _ => _.DependsOn(Compile).Executes(() => { });
        Target Lint => _ => _.DependsOn(Restore).Executes(() => { });
        Target Compile => _ => _.DependsOn(Restore).Executes(() => { });
        Target Restore => _ => _.Executes(() => { });
        Target Clean => _ => _.Before(Restore).Executes(() => { });
        Target Report => _ => _.After(Test).Executes(() => { });
        Target All => _ => _.DependsOn(Test, Lint).Executes(() => { });
    }

    [Fact]
    public async Task Dependencies_run_first_and_ties_follow_declaration_order()
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new Chain(), "All");

        Assert.Equal(0, outcome.ExitCode);
        // Once Restore is done both Lint and Compile are ready: Lint is declared first.
        Assert.Equal(["Restore", "Lint", "Compile", "Test", "All"], outcome.ExecutedTargets);
    }

    [Fact]
    public async Task The_same_invocation_always_gives_the_same_order()
    {
        using var root = new TempRoot();
        var first = await root.RunAsync(new Chain(), "Report", "Lint", "Clean", "Test");
        var second = await root.RunAsync(new Chain(), "Report", "Lint", "Clean", "Test");

        Assert.Equal(first.ExecutedTargets, second.ExecutedTargets);
        Assert.Equal(["Clean", "Restore", "Lint", "Compile", "Test", "Report"], first.ExecutedTargets);
    }

    [Fact]
    public async Task After_and_Before_order_without_adding_targets()
    {
        using var root = new TempRoot();
        var onlyTest = await root.RunAsync(new Chain(), "Test");
        var withCleanAndReport = await root.RunAsync(new Chain(), "Report", "Test", "Clean");

        Assert.Equal(["Restore", "Compile", "Test"], onlyTest.ExecutedTargets);
        Assert.Equal(["Clean", "Restore", "Compile", "Test", "Report"], withCleanAndReport.ExecutedTargets);
    }

    private sealed class Triggering : SlipwayBuild
    {
        Target Deploy => _ => _.Triggers(Notify).Executes(() => { });
        Target Notify => _ => _.Executes(() => { });
        Target Audit => _ => _.TriggeredBy(Deploy).DependsOn(Fetch).Executes(() => { });
        Target Fetch => _ => _.Executes(() => { });
        Target Unrelated => _ => _.Executes(() => { });
    }

    [Fact]
    public async Task Triggers_and_TriggeredBy_add_targets_that_run_after_the_trigger()
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new Triggering(), "Deploy");

        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(["Deploy", "Notify", "Fetch", "Audit"], outcome.ExecutedTargets);
        Assert.Null(outcome.Result("Unrelated"));
    }

    [Fact]
    public async Task A_triggered_target_alone_does_not_run_its_trigger()
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new Triggering(), "Audit");

        Assert.Equal(["Fetch", "Audit"], outcome.ExecutedTargets);
    }

    private sealed class Cyclic : SlipwayBuild
    {
        Target A => _ => _.DependsOn(C).Executes(() => { });
        Target B => _ => _.DependsOn(A).Executes(() => { });
        Target C => _ => _.After(B).Executes(() => { });
        Target Free => _ => _.Executes(() => { });
    }

    [Fact]
    public async Task A_cycle_is_an_error_naming_its_path()
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new Cyclic(), "Free");

        Assert.Equal(BuildRunner.ConfigurationErrorExitCode, outcome.ExitCode);
        Assert.Contains("cycle", outcome.Output);
        Assert.Matches(@"(A -> B -> C -> A|B -> C -> A -> B|C -> A -> B -> C)", outcome.Output);
        Assert.Empty(outcome.ExecutedTargets);
    }

    [Fact]
    public async Task An_unknown_target_is_an_error_suggesting_the_closest()
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new Chain(), "Compil");

        Assert.Equal(BuildRunner.ConfigurationErrorExitCode, outcome.ExitCode);
        Assert.Contains("Unknown target 'Compil'", outcome.Output);
        Assert.Contains("Did you mean 'Compile'?", outcome.Output);
        Assert.Empty(outcome.ExecutedTargets);
    }

    [Fact]
    public async Task Target_names_are_case_insensitive_and_accepted_with_target_option()
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new Chain(), "--target", "compile");

        Assert.Equal(["Restore", "Compile"], outcome.ExecutedTargets);
    }

    private sealed class Defaulted : SlipwayBuild
    {
        Target First => _ => _.Executes(() => { });
        public Target Second => _ => _.DependsOn(First).Executes(() => { });
    }

    [Fact]
    public async Task Without_a_target_the_default_runs()
    {
        using var root = new TempRoot();
        var outcome = await BuildRunner.RunAsync(new Defaulted(), new BuildInvocation
        {
            RootDirectory = root.Path,
            DefaultTarget = BuildRunner.TargetName<Defaulted>(x => x.Second),
        });

        Assert.Equal(["First", "Second"], outcome.ExecutedTargets);
    }

    [Fact]
    public async Task The_root_is_found_by_walking_up_to_nuke()
    {
        using var root = new TempRoot();
        var nested = (root.Path / "src" / "deep").CreateDirectory();
        var build = new RootProbe();
        var outcome = await BuildRunner.RunAsync(build, new BuildInvocation { WorkingDirectory = nested, DefaultTarget = "Probe" });

        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(root.Path, build.SeenRoot);
    }

    private sealed class RootProbe : SlipwayBuild
    {
        public AbsolutePath? SeenRoot { get; private set; }
        Target Probe => _ => _.Executes(() => SeenRoot = RootDirectory);
    }
}

public class DeclarationErrorTests
{
    private sealed class Broken : SlipwayBuild
    {
        Target Fine => _ => _.Executes(() => { });
        Target Bad => _ => throw new InvalidOperationException("declaration exploded");
    }

    [Fact]
    public async Task A_target_whose_declaration_throws_is_named_in_the_error()
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new Broken(), "Fine");

        Assert.Equal(BuildRunner.ConfigurationErrorExitCode, outcome.ExitCode);
        Assert.Contains("Target 'Bad' could not be declared: declaration exploded", outcome.Output);
    }

    private sealed class NoTargets : SlipwayBuild;

    [Fact]
    public async Task A_build_without_targets_says_how_to_declare_one()
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new NoTargets());

        Assert.Contains("declares no targets", outcome.Output);
    }

    [Fact]
    public async Task Without_nuke_directory_the_error_says_where_it_looked()
    {
        var directory = Directory.CreateTempSubdirectory("slipway-noroot-");
        try
        {
            var outcome = await BuildRunner.RunAsync(new NoTargets(), new BuildInvocation { WorkingDirectory = directory.FullName });
            Assert.Equal(BuildRunner.ConfigurationErrorExitCode, outcome.ExitCode);
            Assert.Contains("No .nuke/ directory", outcome.Output);
            Assert.Contains("--root", outcome.Output);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
