namespace Slipway.Build;

/// <summary>An immutable, normalized absolute path: <c>RootDirectory / "src" / "Beacon"</c>.</summary>
public sealed class AbsolutePath : IEquatable<AbsolutePath>
{
    private readonly string _path;

    private AbsolutePath(string path) => _path = path;

    /// <summary>Creates a path from an absolute path string; relative input is an error (resolve it against a base with <see cref="Resolve"/>).</summary>
    public static AbsolutePath Create(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!Path.IsPathRooted(path))
        {
            throw new ArgumentException($"'{path}' is not an absolute path; combine it with a base directory, e.g. RootDirectory / \"{path}\".", nameof(path));
        }
        return new AbsolutePath(Normalize(path));
    }

    /// <summary>Resolves <paramref name="path"/> against <paramref name="baseDirectory"/> unless it is already absolute.</summary>
    public static AbsolutePath Resolve(AbsolutePath baseDirectory, string path) =>
        Path.IsPathRooted(path) ? Create(path) : baseDirectory / path;

    public static AbsolutePath operator /(AbsolutePath left, string right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        return new AbsolutePath(Normalize(Path.Combine(left._path, right)));
    }

    public static implicit operator string(AbsolutePath path) => path._path;

    public AbsolutePath? Parent
    {
        get
        {
            var parent = Path.GetDirectoryName(_path);
            return parent is null ? null : new AbsolutePath(parent);
        }
    }

    public string Name => Path.GetFileName(_path);
    public string NameWithoutExtension => Path.GetFileNameWithoutExtension(_path);
    public string Extension => Path.GetExtension(_path);

    public bool Exists() => File.Exists(_path) || Directory.Exists(_path);
    public bool FileExists() => File.Exists(_path);
    public bool DirectoryExists() => Directory.Exists(_path);

    /// <summary>Whether <paramref name="other"/> is this path or lies below it.</summary>
    public bool Contains(AbsolutePath other) =>
        other._path == _path || other._path.StartsWith(_path.EndsWith(Path.DirectorySeparatorChar) ? _path : _path + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>The path of this one relative to <paramref name="baseDirectory"/>, with '/' separators.</summary>
    public string RelativeTo(AbsolutePath baseDirectory) =>
        Path.GetRelativePath(baseDirectory._path, _path).Replace(Path.DirectorySeparatorChar, '/');

    public AbsolutePath CreateDirectory()
    {
        Directory.CreateDirectory(_path);
        return this;
    }

    /// <summary>Creates the directory, or empties it when it exists.</summary>
    public AbsolutePath CreateOrCleanDirectory()
    {
        DeleteDirectory();
        return CreateDirectory();
    }

    public void DeleteDirectory()
    {
        if (Directory.Exists(_path))
        {
            Directory.Delete(_path, recursive: true);
        }
    }

    public void DeleteFile()
    {
        if (File.Exists(_path))
        {
            File.Delete(_path);
        }
    }

    public string ReadAllText() => File.ReadAllText(_path);

    /// <summary>Writes the file, creating its directory first.</summary>
    public AbsolutePath WriteAllText(string text)
    {
        Parent?.CreateDirectory();
        File.WriteAllText(_path, text);
        return this;
    }

    /// <summary>Files matching a simple pattern (<c>*.trx</c>) in this directory, optionally in every subdirectory; sorted.</summary>
    public IReadOnlyList<AbsolutePath> GlobFiles(string pattern, bool recursive = true) =>
        Directory.Exists(_path)
            ? Directory.EnumerateFiles(_path, pattern, recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
                .Order(StringComparer.Ordinal).Select(p => new AbsolutePath(p)).ToList()
            : [];

    /// <summary>Directories matching a simple pattern (<c>bin</c>) in this directory, optionally in every subdirectory; sorted.</summary>
    public IReadOnlyList<AbsolutePath> GlobDirectories(string pattern, bool recursive = true) =>
        Directory.Exists(_path)
            ? Directory.EnumerateDirectories(_path, pattern, recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
                .Order(StringComparer.Ordinal).Select(p => new AbsolutePath(p)).ToList()
            : [];

    public override string ToString() => _path;
    public bool Equals(AbsolutePath? other) => other is not null && other._path == _path;
    public override bool Equals(object? obj) => obj is AbsolutePath other && Equals(other);
    public override int GetHashCode() => _path.GetHashCode(StringComparison.Ordinal);
    public static bool operator ==(AbsolutePath? left, AbsolutePath? right) => Equals(left, right);
    public static bool operator !=(AbsolutePath? left, AbsolutePath? right) => !Equals(left, right);

    private static string Normalize(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full);
        return full.Length > (root?.Length ?? 0) ? full.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar) : full;
    }
}
