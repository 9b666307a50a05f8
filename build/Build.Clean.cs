using Slipway.Build;

partial class Build
{
    /// <summary>Removes build outputs. Never .nuke/platform (registry, config repo: state that must survive a Clean) nor build/ (the running build).</summary>
    Target Clean => _ => _
        .Description("Removes bin/ and obj/ of src and tests, and .nuke/artifacts")
        .Before(Restore)
        .Executes(() =>
        {
            var outputs = new[] { SourceDirectory, TestsDirectory }
                .SelectMany(d => d.GlobDirectories("bin").Concat(d.GlobDirectories("obj")))
                .Where(d => d.Parent is { } parent && (parent / $"{parent.Name}.csproj").FileExists())
                .Append(ArtifactsDirectory)
                .ToList();
            foreach (var directory in outputs.Where(d => d.DirectoryExists()))
            {
                Log.Information("Removing {Directory}", directory.RelativeTo(RootDirectory));
                directory.DeleteDirectory();
            }
        });
}
