namespace Slipway.Delivery.Tests.Images;

/// <summary>
/// A copy of src/Beacon with the repository's build settings (Directory.Build.props, central package versions) in a
/// temp directory, so tests and the benchmark can build it, and change a line of it, without touching the worktree.
/// </summary>
internal sealed class BeaconCopy : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "slipway-beacon-" + Guid.NewGuid().ToString("N")[..8]);
    public string Project => Path.Combine(Root, "src", "Beacon", "Beacon.csproj");
    public string ProjectDirectory => Path.GetDirectoryName(Project)!;

    public BeaconCopy()
    {
        var repository = ImageTestEnvironment.RepositoryRoot();
        Directory.CreateDirectory(Root);
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props" })
            File.Copy(Path.Combine(repository, file), Path.Combine(Root, file));
        var source = Path.Combine(repository, "src", "Beacon");
        foreach (var path in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, path);
            var first = relative.Split(Path.DirectorySeparatorChar)[0];
            if (first is "bin" or "obj" or "publish") continue;
            var target = Path.Combine(ProjectDirectory, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(path, target);
        }
    }

    /// <summary>A one-line change that changes the compiled assembly (a new constant), as a developer's edit would.</summary>
    public void ChangeOneLine() =>
        File.AppendAllText(Path.Combine(ProjectDirectory, "BenchChange.cs"),
            $"namespace Beacon; static class BenchChange {{ public const string Stamp = \"{Guid.NewGuid():N}\"; }}\n");

    /// <summary>Removes bin/ and obj/ so the next build starts cold (the NuGet cache stays warm).</summary>
    public void Clean()
    {
        foreach (var folder in new[] { "bin", "obj" })
        {
            var path = Path.Combine(ProjectDirectory, folder);
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}
