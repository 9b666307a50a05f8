using System.Formats.Tar;

namespace Slipway.Delivery.Images;

/// <summary>
/// The build context the docker builder sends to the engine, made in-process: the service's Dockerfile and the
/// self-contained publish output under <c>publish/</c>. Entries are sorted and every mtime is the commit time,
/// so an unchanged publish output hits the engine's layer cache.
/// </summary>
internal static class DockerBuildContext
{
    public const string PublishFolder = "publish";

    public static async Task WriteAsync(string dockerfile, string publishDirectory, string contextTar, DateTimeOffset time, CancellationToken cancellationToken)
    {
        await using var output = File.Create(contextTar);
        await using var writer = new TarWriter(output, TarEntryFormat.Gnu);
        await WriteFileAsync(writer, dockerfile, "Dockerfile", time, cancellationToken);
        await writer.WriteEntryAsync(Directory(PublishFolder + "/", time), cancellationToken);

        var root = Path.GetFullPath(publishDirectory);
        var entries = System.IO.Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(path => (Path: path, Name: PublishFolder + "/" + Path.GetRelativePath(root, path).Replace('\\', '/')))
            .OrderBy(entry => entry.Name, StringComparer.Ordinal);
        foreach (var (path, name) in entries)
        {
            if (System.IO.Directory.Exists(path)) await writer.WriteEntryAsync(Directory(name + "/", time), cancellationToken);
            else await WriteFileAsync(writer, path, name, time, cancellationToken);
        }
    }

    private static GnuTarEntry Directory(string name, DateTimeOffset time) => new(TarEntryType.Directory, name)
    {
        ModificationTime = time, AccessTime = time, ChangeTime = time,
        Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
    };

    private static async Task WriteFileAsync(TarWriter writer, string path, string name, DateTimeOffset time, CancellationToken cancellationToken)
    {
        // Root-owned and world-readable; executables keep their execute bits. The app user can read but not change the app.
        var executable = !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0;
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        if (executable) mode |= UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        await using var data = File.OpenRead(path);
        await writer.WriteEntryAsync(new GnuTarEntry(TarEntryType.RegularFile, name)
        {
            ModificationTime = time, AccessTime = time, ChangeTime = time, Mode = mode, DataStream = data,
        }, cancellationToken);
    }
}
