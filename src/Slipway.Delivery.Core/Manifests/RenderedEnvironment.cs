namespace Slipway.Delivery.Manifests;

/// <summary>The rendered, validated files of one environment folder (file name -> YAML text), ready to commit.</summary>
public sealed record RenderedEnvironment(
    string Environment,
    IReadOnlyDictionary<string, string> Files,
    EnvironmentManifests Manifests,
    ImageDigestReference Image,
    string ConfigHash)
{
    /// <summary>Replaces the folder's content with exactly these files (a file Git no longer should have is removed).</summary>
    public void WriteTo(string environmentDirectory)
    {
        Directory.CreateDirectory(environmentDirectory);
        foreach (var stale in Directory.EnumerateFileSystemEntries(environmentDirectory))
        {
            if (Files.ContainsKey(Path.GetFileName(stale))) continue;
            if (Directory.Exists(stale)) Directory.Delete(stale, recursive: true);
            else File.Delete(stale);
        }
        foreach (var (name, text) in Files)
            File.WriteAllText(Path.Combine(environmentDirectory, name), text, Utf8NoBom);
    }

    private static readonly System.Text.UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);
}
