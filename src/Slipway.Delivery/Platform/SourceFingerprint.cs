using System.Security.Cryptography;
using System.Text;

namespace Slipway.Delivery.Platform;

/// <summary>
/// A hash of the source files a program is built from (paths and contents; bin/ and obj/ left out), so a copy published
/// from other sources is recognised without building anything. Committed or not, an edit changes it.
/// </summary>
public static class SourceFingerprint
{
    private static readonly string[] Patterns = ["*.cs", "*.csproj", "*.props", "*.targets", "*.json"];

    /// <summary>The fingerprint of <paramref name="directories"/> (and the files given directly) under <paramref name="root"/>.</summary>
    public static string Of(string root, IReadOnlyList<string> directories, IReadOnlyList<string>? files = null)
    {
        ArgumentNullException.ThrowIfNull(directories);
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var directory in directories.Select(d => Path.Combine(root, d)).Where(Directory.Exists))
            foreach (var pattern in Patterns)
                foreach (var path in Directory.EnumerateFiles(directory, pattern, SearchOption.AllDirectories))
                    if (!IsBuildOutput(Path.GetRelativePath(root, path))) paths.Add(Path.GetRelativePath(root, path).Replace('\\', '/'));
        foreach (var file in files ?? [])
            if (File.Exists(Path.Combine(root, file))) paths.Add(file.Replace('\\', '/'));

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var path in paths)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(path + "\n"));
            hash.AppendData(SHA256.HashData(File.ReadAllBytes(Path.Combine(root, path))));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static bool IsBuildOutput(string relativePath) =>
        relativePath.Replace('\\', '/').Split('/').Any(segment => segment is "bin" or "obj");
}
