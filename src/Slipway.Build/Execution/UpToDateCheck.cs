using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Slipway.Build;

/// <summary>
/// Gradle's up-to-date check for incremental targets: a fingerprint of a target's inputs (file contents, input values, its
/// dependencies' outputs) is recorded with a digest of its outputs after each success, under .nuke/temp/up-to-date/. The
/// target is up to date while a fresh fingerprint equals the record and its outputs are still what it left.
/// </summary>
internal sealed class UpToDateCheck(AbsolutePath rootDirectory, SecretMasker masker)
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Build output folders are never inputs: every compile rewrites them.</summary>
    private static readonly HashSet<string> IgnoredDirectories = ["bin", "obj", ".git"];

    private AbsolutePath StateDirectory => rootDirectory / ".nuke" / "temp" / "up-to-date";

    private AbsolutePath RecordFile(TargetNode node) => StateDirectory / $"{node.Name}.json";

    /// <summary>What the target's inputs are now; taken before it runs, so an edit during the run reruns it next time.</summary>
    public async Task<Fingerprint> TakeAsync(TargetNode node)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Expand(node.Definition.InputFiles))
        {
            files[Key(file)] = file.FileExists() ? HashFile(file) : "missing";
        }
        var values = new List<string>();
        foreach (var value in node.Definition.InputValueSources)
        {
            values.Add(Hash(ValueText(node, await value())));
        }
        var dependencies = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var dependency in node.DependsOn.Where(d => d.Definition.OutputFiles.Count > 0))
        {
            dependencies[dependency.Name] = OutputDigest(dependency);
        }
        return new Fingerprint(files, values, dependencies, Outputs: null);
    }

    /// <summary>Null when the target is up to date; otherwise why it must run.</summary>
    public async Task<string?> ReasonToRunAsync(TargetNode node, Fingerprint current)
    {
        var record = Read(node);
        if (record is null)
        {
            return "no earlier success is recorded";
        }
        var changedFiles = record.Files.Keys.Union(current.Files.Keys)
            .Where(key => !Equals(record.Files.GetValueOrDefault(key), current.Files.GetValueOrDefault(key)))
            .ToList();
        if (changedFiles.Count > 0)
        {
            return $"{changedFiles.Count} input file(s) changed: {string.Join(", ", changedFiles.Take(3))}{(changedFiles.Count > 3 ? ", ..." : "")}";
        }
        if (!record.Values.SequenceEqual(current.Values))
        {
            return "an input value changed";
        }
        var changedDependency = record.Dependencies.Keys.Union(current.Dependencies.Keys)
            .FirstOrDefault(key => !Equals(record.Dependencies.GetValueOrDefault(key), current.Dependencies.GetValueOrDefault(key)));
        if (changedDependency is not null)
        {
            return $"the outputs of {changedDependency} changed";
        }
        if (record.Outputs != OutputDigest(node))
        {
            return "its outputs are missing or were changed since its last success";
        }
        foreach (var condition in node.Definition.UpToDateConditions)
        {
            if (!await condition())
            {
                return "its up-to-date condition no longer holds";
            }
        }
        return null;
    }

    /// <summary>A run that fails, or is cancelled, must not leave an older success standing for these inputs.</summary>
    public void Forget(TargetNode node) => RecordFile(node).DeleteFile();

    public void RecordSuccess(TargetNode node, Fingerprint inputs)
    {
        StateDirectory.CreateDirectory();
        var record = inputs with { Outputs = OutputDigest(node) };
        RecordFile(node).WriteAllText(JsonSerializer.Serialize(record, JsonOptions));
    }

    private Fingerprint? Read(TargetNode node)
    {
        var file = RecordFile(node);
        if (!file.FileExists())
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<Fingerprint>(file.ReadAllText(), JsonOptions);
        }
        catch (JsonException)
        {
            return null; // an unreadable record only costs a rerun
        }
    }

    /// <summary>The outputs' paths and contents, hashed together; a missing output counts as a change.</summary>
    private string OutputDigest(TargetNode node)
    {
        var builder = new StringBuilder();
        foreach (var file in Expand(node.Definition.OutputFiles))
        {
            builder.Append(Key(file)).Append('=').Append(file.FileExists() ? HashFile(file) : "missing").Append('\n');
        }
        return Hash(builder.ToString());
    }

    /// <summary>Declared paths as files: a directory stands for every file under it, build output folders left out.</summary>
    private static IEnumerable<AbsolutePath> Expand(IEnumerable<Func<IEnumerable<AbsolutePath>>> sources)
    {
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var path in sources.SelectMany(source => source()))
        {
            if (path.DirectoryExists())
            {
                foreach (var file in FilesUnder(path))
                {
                    files.Add(file);
                }
            }
            else
            {
                files.Add(path);
            }
        }
        return files.Select(AbsolutePath.Create);
    }

    private static IEnumerable<string> FilesUnder(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            yield return file;
        }
        foreach (var child in Directory.EnumerateDirectories(directory).Where(d => !IgnoredDirectories.Contains(Path.GetFileName(d))))
        {
            foreach (var file in FilesUnder(child))
            {
                yield return file;
            }
        }
    }

    private string Key(AbsolutePath file) => rootDirectory.Contains(file) ? file.RelativeTo(rootDirectory).Replace('\\', '/') : file;

    private static string HashFile(AbsolutePath file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private string ValueText(TargetNode node, object? value)
    {
        var text = Text(value);
        // Only a hash is kept, but a hash of a short secret can be guessed: secrets are never inputs.
        if (masker.Apply(text) != text)
        {
            throw new InvalidOperationException($"An input value of target '{node.Name}' holds a secret parameter; secrets cannot be up-to-date inputs.");
        }
        return text;
    }

    /// <summary>Values compare as text; a sequence by its items (parameter arrays are common inputs).</summary>
    private static string Text(object? value) => value switch
    {
        null => "\0null",
        string text => text,
        System.Collections.IEnumerable items => "[" + string.Join("\u001f", items.Cast<object?>().Select(Text)) + "]",
        IFormattable formattable => formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>What one success recorded. Input values are kept as hashes only: a value may be a secret.</summary>
    internal sealed record Fingerprint(
        [property: JsonPropertyName("files")] SortedDictionary<string, string> Files,
        [property: JsonPropertyName("values")] List<string> Values,
        [property: JsonPropertyName("dependencies")] SortedDictionary<string, string> Dependencies,
        [property: JsonPropertyName("outputs")] string? Outputs);
}
