using Microsoft.Extensions.FileProviders;

namespace Beacon.Configuration;

/// <summary>
/// The directory a Kubernetes ConfigMap is mounted at (or the agent's bind mount): every regular file in it
/// is one ConfigMap key. Hidden entries and directories are not keys: Kubernetes keeps its atomic-swap
/// machinery there (the <c>..data</c> symlink and <c>..2026_...</c> directories) and makes each key a
/// symlink into it, which is followed.
/// </summary>
public sealed class ConfigDirectory : IDisposable
{
    /// <summary>The environment variable naming the directory.</summary>
    public const string EnvironmentVariable = "BEACON_CONFIG_DIR";

    /// <summary>Where Beacon looks when the variable is not set.</summary>
    public const string DefaultPath = "/etc/beacon";

    /// <summary>The key layered on top of Beacon's configuration as a JSON file.</summary>
    public const string SettingsKey = "appsettings.json";

    public ConfigDirectory(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        // Polling, because inotify sees neither changes made through Docker bind mounts nor
        // Kubernetes' symlink swaps; the polling token follows the key's symlink to its target.
        FileProvider = Directory.Exists(Path)
            ? new PhysicalFileProvider(Path) { UsePollingFileWatcher = true, UseActivePolling = true }
            : null;
    }

    /// <summary>The absolute path of the directory.</summary>
    public string Path { get; }

    /// <summary>Watches the directory by polling; null when the directory did not exist at start.</summary>
    public PhysicalFileProvider? FileProvider { get; }

    /// <summary>The ConfigMap keys present now, in ordinal order.</summary>
    public IReadOnlyList<string> Keys()
    {
        if (!Directory.Exists(Path))
            return [];
        return new DirectoryInfo(Path).EnumerateFileSystemInfos()
            .Where(IsKey)
            .Select(entry => entry.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The <see cref="ConfigHash"/> of what the directory holds now.</summary>
    public string ComputeHash()
    {
        var entries = new List<KeyValuePair<string, byte[]>>();
        foreach (var key in Keys())
        {
            try
            {
                entries.Add(new(key, File.ReadAllBytes(System.IO.Path.Combine(Path, key))));
            }
            catch (FileNotFoundException)
            {
                // Removed between listing and reading (a swap in progress): it is not part of this revision.
            }
        }
        return ConfigHash.Compute(entries);
    }

    static bool IsKey(FileSystemInfo entry)
    {
        if (entry.Name.StartsWith('.'))
            return false;
        if (entry is DirectoryInfo)
            return false;
        if (entry.LinkTarget is null)
            return true;
        // A symlink is a key when it ends at a regular file.
        var target = entry.ResolveLinkTarget(returnFinalTarget: true);
        return target is FileInfo { Exists: true };
    }

    public void Dispose() => FileProvider?.Dispose();
}
