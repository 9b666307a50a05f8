namespace Slipway.Agent.Backends.Docker;

/// <summary>
/// ConfigMap data as files on the host, bind-mounted read-only into the replicas. Updated in place with atomic
/// renames, so a service that watches its config dir (Beacon) reloads a ConfigMap-only change without a restart.
/// </summary>
public sealed class ConfigMapFiles(string root)
{
    public string DirectoryFor(string environment, string configMapName) => Path.Combine(root, environment, configMapName);

    /// <summary>Makes the folder hold exactly <paramref name="data"/>; returns true when anything changed.</summary>
    public bool Write(string environment, string configMapName, IReadOnlyDictionary<string, string> data)
    {
        var directory = DirectoryFor(environment, configMapName);
        var staging = Path.Combine(root, environment, ".staging");
        Directory.CreateDirectory(directory);
        Directory.CreateDirectory(staging);
        var changed = false;
        foreach (var (key, value) in data)
        {
            if (key.Contains('/') || key.Contains('\\') || key is "." or "..")
                throw new FormatException($"configmap.yaml: data key '{key}' is not a valid file name.");
            var target = Path.Combine(directory, key);
            if (File.Exists(target) && File.ReadAllText(target) == value) continue;
            // Written beside, then renamed over: a reader never sees a half-written file or a temporary name.
            var temporary = Path.Combine(staging, key);
            File.WriteAllText(temporary, value);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            File.Move(temporary, target, overwrite: true);
            changed = true;
        }
        foreach (var stale in Directory.GetFiles(directory).Where(f => !data.ContainsKey(Path.GetFileName(f))))
        {
            File.Delete(stale);
            changed = true;
        }
        return changed;
    }

    /// <summary>Whether the folder holds exactly <paramref name="data"/> now (what <see cref="Write"/> would leave unchanged).</summary>
    public bool Holds(string environment, string configMapName, IReadOnlyDictionary<string, string> data)
    {
        var directory = DirectoryFor(environment, configMapName);
        if (!Directory.Exists(directory)) return data.Count == 0;
        var files = Directory.GetFiles(directory);
        return files.Length == data.Count && data.All(entry =>
            File.Exists(Path.Combine(directory, entry.Key)) && File.ReadAllText(Path.Combine(directory, entry.Key)) == entry.Value);
    }

    public void Delete(string environment)
    {
        var directory = Path.Combine(root, environment);
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }
}
