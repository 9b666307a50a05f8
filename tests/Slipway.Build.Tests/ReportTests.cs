using System.Text.Json.Nodes;

namespace Slipway.Build.Tests;

public class ReportTests
{
    public enum Mode
    {
        Fast,
        Safe,
    }

    private sealed class Documented : SlipwayBuild
    {
        [Parameter("Build mode")] readonly Mode Mode = Mode.Safe;
        [Parameter("Registry password"), Secret] readonly string? RegistryPassword = "default-secret-value";
        [Parameter("Replicas")] readonly int Replicas = 2;
        [Parameter("Enable the thing")] readonly bool Enable = false;

        Target Restore => _ => _.Description("Restores packages").Executes(() => { });
        Target Compile => _ => _.Description("Compiles everything").DependsOn(Restore).Executes(() => { });
        Target Clean => _ => _.Description("Cleans").Before(Restore).Executes(() => { });
        public Target Test => _ => _.Description("Runs tests").DependsOn(Compile).Triggers(Report).Executes(() => { });
        Target Report => _ => _.Description("Reports").Executes(() => { });
        Target Secret => _ => _.Description("A hidden helper").Unlisted().Executes(() => { });
        Target Closing => _ => _.Executes(() =>
        {
            AddClosingLine("first closing line");
            AddClosingLine("tests: 3 passed, 0 failed");
        });
        Target Describe => _ => _.Executes(() => Log.Information("mode {Mode} replicas {Replicas} enable {Enable} secret {Secret}", Mode, Replicas, Enable, RegistryPassword));
    }

    private static Task<BuildOutcome> Run(TempRoot root, SlipwayBuild build, params string[] arguments) =>
        BuildRunner.RunAsync(build, new BuildInvocation { Arguments = arguments, RootDirectory = root.Path, DefaultTarget = "Test" });

    [Fact]
    public async Task Help_lists_listed_targets_with_descriptions_dependencies_and_default_and_the_parameters()
    {
        using var root = new TempRoot();
        var outcome = await Run(root, new Documented(), "--help");

        Assert.Equal(0, outcome.ExitCode);
        Assert.Matches(@"Compile\s+Compiles everything \(depends on Restore\)", outcome.Output);
        Assert.Matches(@"Test \*\s+Runs tests \(depends on Compile\)", outcome.Output);
        Assert.DoesNotContain("A hidden helper", outcome.Output);
        Assert.Matches(@"--mode <Fast\|Safe>\s+Build mode \[env MODE, default Safe\]", outcome.Output);
        Assert.Matches(@"--registry-password <value>\s+Registry password \[env REGISTRY_PASSWORD, secret\]", outcome.Output);
        Assert.Matches(@"--replicas <number>\s+Replicas \[env REPLICAS, default 2\]", outcome.Output);
        Assert.DoesNotContain("default-secret-value", outcome.Output);
        Assert.Empty(outcome.ExecutedTargets);
    }

    [Fact]
    public async Task Plan_prints_the_order_and_writes_mermaid_and_an_offline_html_page()
    {
        using var root = new TempRoot();
        var outcome = await Run(root, new Documented(), "--plan", "Clean", "Test", "--skip", "Report");

        Assert.Equal(0, outcome.ExitCode);
        Assert.Empty(outcome.ExecutedTargets);
        Assert.Contains("Execution plan for Clean, Test:", outcome.Output);
        Assert.Matches(@"1\. Clean\s*\n\s+2\. Restore\s*\n\s+3\. Compile\s+depends on Restore\n\s+4\. Test\s+depends on Compile\n\s+-\. Report\s+skipped: --skip", outcome.Output);

        var mermaid = (root.Nuke / "temp" / "plan.mmd").ReadAllText();
        Assert.StartsWith("graph LR\n", mermaid);
        Assert.Contains("    Restore --> Compile\n", mermaid);
        Assert.Contains("    Compile --> Test\n", mermaid);
        Assert.Contains("    Clean -.-> Restore\n", mermaid);
        Assert.Contains("    Test ==>|triggers| Report\n", mermaid);
        Assert.Contains("    class Clean,Test invoked\n", mermaid);
        Assert.Contains("    class Report skipped\n", mermaid);
        Assert.DoesNotContain("Closing", mermaid);

        var html = (root.Nuke / "temp" / "plan.html").ReadAllText();
        Assert.Contains("<svg", html);
        Assert.Contains("Restore --&gt; Compile", html); // the Mermaid source, escaped, as a fallback
        Assert.DoesNotContain("<script", html); // nothing to fetch: readable offline
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", ""));
    }

    [Fact]
    public async Task Closing_lines_come_after_the_summary_and_the_last_is_printed_last()
    {
        using var root = new TempRoot();
        var outcome = await Run(root, new Documented(), "Closing");

        var summary = outcome.Output.IndexOf("Build succeeded", StringComparison.Ordinal);
        Assert.True(summary >= 0);
        Assert.True(outcome.Output.IndexOf("first closing line", StringComparison.Ordinal) > summary);
        Assert.EndsWith("tests: 3 passed, 0 failed\n", outcome.Output);
    }

    [Fact]
    public async Task Schema_describes_parameters_and_targets_and_is_written_when_missing()
    {
        using var root = new TempRoot();
        var generate = await Run(root, new Documented(), "--generate-schema");

        Assert.Equal(0, generate.ExitCode);
        Assert.Empty(generate.ExecutedTargets);
        var schema = JsonNode.Parse((root.Nuke / "build.schema.json").ReadAllText())!;
        var properties = schema["properties"]!;
        Assert.Equal("http://json-schema.org/draft-07/schema#", schema["$schema"]!.ToString());
        Assert.Equal("string", properties["Mode"]!["type"]!.ToString());
        Assert.Equal(["Fast", "Safe"], properties["Mode"]!["enum"]!.AsArray().Select(v => v!.ToString()));
        Assert.Equal("Build mode", properties["Mode"]!["description"]!.ToString());
        Assert.Equal("integer", properties["Replicas"]!["type"]!.ToString());
        Assert.Equal("boolean", properties["Enable"]!["type"]!.ToString());
        Assert.Equal("Registry password (secret)", properties["RegistryPassword"]!["description"]!.ToString());
        Assert.Contains("Compile", properties["Target"]!["items"]!["enum"]!.AsArray().Select(v => v!.ToString()));
        Assert.Contains("Report", properties["Skip"]!["items"]!["enum"]!.AsArray().Select(v => v!.ToString()));
        Assert.DoesNotContain("default-secret-value", schema.ToJsonString());

        (root.Nuke / "build.schema.json").DeleteFile();
        var firstRun = await Run(root, new Documented(), "Restore");
        Assert.Equal(0, firstRun.ExitCode);
        Assert.True((root.Nuke / "build.schema.json").FileExists());
    }

    [Fact]
    public async Task A_stale_schema_fails_before_any_target_and_says_how_to_refresh_it()
    {
        using var root = new TempRoot();
        await Run(root, new Documented(), "--generate-schema");
        var schemaFile = root.Nuke / "build.schema.json";
        schemaFile.WriteAllText(schemaFile.ReadAllText().Replace("Build mode", "Old description"));

        var stale = await Run(root, new Documented(), "Restore");
        Assert.Equal(BuildRunner.ConfigurationErrorExitCode, stale.ExitCode);
        Assert.Empty(stale.ExecutedTargets);
        Assert.Contains(".nuke/build.schema.json is stale", stale.Output);
        Assert.Contains("./build.sh --generate-schema", stale.Output);

        // Refreshing works even while a parameter source holds a bad value.
        var refresh = await BuildRunner.RunAsync(new Documented(), new BuildInvocation
        {
            Arguments = ["--generate-schema"],
            RootDirectory = root.Path,
            Environment = new Dictionary<string, string?> { ["REPLICAS"] = "many" },
        });
        Assert.Equal(0, refresh.ExitCode);
        var refreshed = await Run(root, new Documented(), "Restore");
        Assert.Equal(0, refreshed.ExitCode);
    }

    [Fact]
    public async Task Parameters_json_can_name_targets_and_verbosity()
    {
        using var root = new TempRoot();
        root.WriteParameters("""{ "$schema": "./build.schema.json", "Target": ["Compile"], "Verbosity": "quiet", "Mode": "Fast" }""");
        var outcome = await Run(root, new Documented());

        Assert.Equal(["Restore", "Compile"], outcome.ExecutedTargets);
        Assert.DoesNotContain("──── Compile", outcome.Output); // quiet: no headers
        Assert.Contains("Build succeeded", outcome.Output);
    }

    [Theory]
    [InlineData("quiet", false, false)]
    [InlineData("minimal", true, false)]
    [InlineData("normal", true, true)]
    public async Task Verbosity_controls_headers_and_information(string verbosity, bool headers, bool information)
    {
        using var root = new TempRoot();
        var outcome = await Run(root, new Documented(), "Describe", "--verbosity", verbosity);

        Assert.Equal(headers, outcome.Output.Contains("──── Describe", StringComparison.Ordinal));
        Assert.Equal(information, outcome.Output.Contains("mode Safe replicas 2 enable False secret ***", StringComparison.Ordinal));
        Assert.Contains("Build succeeded", outcome.Output);
    }

    [Fact]
    public async Task A_bad_verbosity_is_an_error_listing_the_levels()
    {
        using var root = new TempRoot();
        var outcome = await Run(root, new Documented(), "Describe", "--verbosity", "loud");

        Assert.Contains("Verbosity 'loud' is not one of quiet, minimal, normal, verbose.", outcome.Output);
    }
}

public class HelpContextTests
{
    private sealed class ReadsContext : SlipwayBuild
    {
        Target Publish => _ => _.Description($"Publishes to {ArtifactsDirectory.RelativeTo(RootDirectory)} on {Host.Name}").Executes(() => { });
    }

    [Fact]
    public async Task Declarations_that_read_the_run_context_work_in_help_and_schema()
    {
        using var root = new TempRoot();
        var help = await root.RunAsync(new ReadsContext(), "--help");
        var schema = await root.RunAsync(new ReadsContext(), "--generate-schema");

        Assert.Contains("Publishes to .nuke/artifacts on Local", help.Output);
        Assert.Equal(0, schema.ExitCode);
    }
}
