// The team's contract, written exactly as build/ code uses it. CS0649: a readonly [Parameter] field without an
// initializer is assigned by reflection, which the compiler cannot see (Nuke's build template suppresses it too).
#pragma warning disable CS0649

namespace Slipway.Build.Tests;

public class ContractTests
{
    public enum Configuration
    {
        Debug,
        Release,
    }

    private sealed class ContractBuild : SlipwayBuild
    {
        [Parameter("Configuration: Debug or Release")] readonly Configuration Configuration = Configuration.Release;
        [Parameter("Registry password"), Secret] readonly string? RegistryPassword;
        [Parameter("Environment to deploy"), Required] readonly string Environment = "staging";

        AbsolutePath SourceDirectory => RootDirectory / "src";
        public List<string> Log_ { get; } = [];

        Target Clean => _ => _.Description("Cleans").Before(Restore).Executes(() => { Log_.Add($"clean {SourceDirectory.Name}"); });
        Target Restore => _ => _.Executes(() => Log_.Add("restore"));
        Target Compile => _ => _.Description("Compiles").DependsOn(Restore).Executes(async () =>
        {
            await Task.Yield();
            Log_.Add($"compile {Configuration}");
        });
        Target Push => _ => _.DependsOn(Compile).Requires(() => RegistryPassword).OnlyWhenDynamic(() => Environment == "staging")
            .Executes(() => Log_.Add($"push to {Environment} on {Host.Name}"));
    }

    [Fact]
    public async Task The_contract_compiles_and_runs_as_documented()
    {
        using var root = new TempRoot();
        var build = new ContractBuild();
        var outcome = await root.RunAsync(build, new Dictionary<string, string?> { ["CI"] = "true" },
            "Clean", "Push", "--registry-password", "pw", "--configuration", "Debug");

        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(["clean src", "restore", "compile Debug", "push to staging on GenericCi"], build.Log_);
    }
}
