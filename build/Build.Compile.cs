using System.Xml.Linq;
using Slipway.Build;

partial class Build
{
    /// <summary>What the solution is built from: the sources and the files that configure the build.</summary>
    IEnumerable<AbsolutePath> SolutionInputs =>
    [
        SourceDirectory, TestsDirectory, Solution,
        RootDirectory / "Directory.Build.props", RootDirectory / "Directory.Packages.props", RootDirectory / "global.json",
    ];

    /// <summary>The solution's projects (tests/ also holds projects outside it, built by their own tests).</summary>
    IEnumerable<AbsolutePath> ProjectFiles => XDocument.Load(Solution).Descendants("Project")
        .Select(project => RootDirectory / (string)project.Attribute("Path")!)
        .Where(project => !project.Parent!.Equals(RootDirectory / "build"));

    Target Restore => _ => _
        .Description("Restores the solution's NuGet packages (up to date while no project file changed)")
        .Inputs(() => [.. SourceDirectory.GlobFiles("*.csproj"), .. TestsDirectory.GlobFiles("*.csproj"), Solution, RootDirectory / "Directory.Build.props", RootDirectory / "Directory.Packages.props",
            RootDirectory / "global.json", .. TestsDirectory.GlobFiles("Directory.Build.props")])
        // Not an output compared by content: an image publish adds its runtime to the service's assets file.
        .UpToDateWhen(() => Task.FromResult(ProjectFiles.All(project => (project.Parent! / "obj" / "project.assets.json").FileExists())))
        .Executes(() => RunAsync("dotnet", ["restore", Solution]));

    Target Compile => _ => _
        .Description("Builds the solution (up to date while no source changed; a new commit alone rebuilds nothing)")
        .DependsOn(Restore)
        .Inputs(() => SolutionInputs)
        .InputValues(() => Configuration)
        .Outputs(() => ProjectFiles.Select(project =>
            project.Parent! / "bin" / Configuration.ToString() / "net10.0" / $"{project.NameWithoutExtension}.dll"))
        .Executes(() => RunAsync("dotnet", ["build", Solution, "--no-restore", "--configuration", Configuration.ToString()]));
}
