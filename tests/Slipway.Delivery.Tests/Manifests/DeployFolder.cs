namespace Slipway.Delivery.Tests.Manifests;

/// <summary>The repository's deploy/ folder, and throw-away copies of it that a test may break.</summary>
public sealed class DeployFolder : IDisposable
{
    public const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    public const string Image = "127.0.0.1:5000/beacon@" + Digest;

    public static string Repository
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
                if (System.IO.File.Exists(System.IO.Path.Combine(directory.FullName, "Slipway.slnx"))) return System.IO.Path.Combine(directory.FullName, "deploy");
            throw new InvalidOperationException("Slipway.slnx not found above " + AppContext.BaseDirectory);
        }
    }

    private DeployFolder(string path) => Path = path;

    public string Path { get; }

    /// <summary>A copy of deploy/ in a temp folder.</summary>
    public static DeployFolder Copy()
    {
        var target = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "slipway-deploy-" + Guid.NewGuid().ToString("N"));
        foreach (var file in Directory.EnumerateFiles(Repository, "*", SearchOption.AllDirectories))
        {
            var destination = System.IO.Path.Combine(target, System.IO.Path.GetRelativePath(Repository, file));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(destination)!);
            System.IO.File.Copy(file, destination);
        }
        return new DeployFolder(target);
    }

    public string File(string relative) => System.IO.Path.Combine(Path, relative);

    public void Edit(string relative, Func<string, string> change)
    {
        var before = System.IO.File.ReadAllText(File(relative));
        var after = change(before);
        if (after == before) throw new InvalidOperationException($"the edit of {relative} changed nothing; the test's search text is stale");
        System.IO.File.WriteAllText(File(relative), after);
    }

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
