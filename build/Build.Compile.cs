using Slipway.Build;

partial class Build
{
    Target Restore => _ => _
        .Description("Restores the solution's NuGet packages")
        .Executes(() => RunAsync("dotnet", ["restore", Solution]));

    Target Compile => _ => _
        .Description("Builds the solution")
        .DependsOn(Restore)
        .Executes(() => RunAsync("dotnet", ["build", Solution, "--no-restore", "--configuration", Configuration.ToString()]));
}
