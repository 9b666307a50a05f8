namespace Beacon.Tests.Support;

/// <summary>A directory under the system temp path, removed on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "beacon-tests-" + Guid.NewGuid().ToString("n"));

    /// <summary>Writes a file atomically (write beside, then rename), as a well-behaved config writer does.</summary>
    public void Write(string name, string content)
    {
        var target = System.IO.Path.Combine(Path, name);
        var staging = System.IO.Path.Combine(Path, "." + name + ".tmp");
        File.WriteAllText(staging, content);
        File.Move(staging, target, overwrite: true);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
