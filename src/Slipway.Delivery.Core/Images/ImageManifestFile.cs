using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Slipway.Delivery.Oci;

namespace Slipway.Delivery.Images;

/// <summary>
/// .nuke/artifacts/image.json: the contract the targets after Containerize read (ContainerTest, Push, GitOps).
/// Written atomically (temp file + rename) so a failed build never leaves a half file behind.
/// </summary>
public sealed record ImageManifestFile(
    [property: JsonPropertyName("repository")] string Repository,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("reference")] string Reference,
    [property: JsonPropertyName("tags")] IReadOnlyList<string> Tags,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("commit")] string Commit,
    [property: JsonPropertyName("commitTime")] string CommitTime,
    [property: JsonPropertyName("builder")] string Builder,
    [property: JsonPropertyName("layout")] string Layout,
    [property: JsonPropertyName("localImageId")] string LocalImageId)
{
    public const string FileName = "image.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string PathIn(string artifactsDirectory) => System.IO.Path.Combine(artifactsDirectory, FileName);

    public static ImageManifestFile From(BuiltImage image) => new(
        image.Repository.ToString(), image.Digest, image.Reference.ToString(), image.Tags, image.Version.Version,
        image.Version.Commit, image.Version.CommitTimeRfc3339, image.Builder.ToString().ToLowerInvariant(),
        image.Layout.Directory, image.LocalImageId);

    public async Task WriteAsync(string path, CancellationToken cancellationToken = default)
    {
        Validate(path);
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(this, Json) + "\n", cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }

    public static async Task<ImageManifestFile> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(path))
            throw new ImageBuildException($"'{path}' does not exist: no image was built yet. Run the Containerize target first.");
        ImageManifestFile? file;
        try
        {
            file = JsonSerializer.Deserialize<ImageManifestFile>(await File.ReadAllTextAsync(path, cancellationToken), Json);
        }
        catch (JsonException exception)
        {
            throw new ImageBuildException($"'{path}' is not a valid image.json ({exception.Message}). Delete it and run Containerize again.", exception);
        }
        if (file is null) throw new ImageBuildException($"'{path}' is empty. Delete it and run Containerize again.");
        file.Validate(path);
        return file;
    }

    /// <summary>
    /// The built image this file records, for targets that run in a later process than Containerize
    /// (ContainerTest, Push). The OCI layout must still be on disk.
    /// </summary>
    public BuiltImage ToBuiltImage(string manifestFilePath)
    {
        if (!Enum.TryParse<ImageBuilderKind>(Builder, ignoreCase: true, out var builder))
            throw new ImageBuildException($"image.json '{manifestFilePath}' names an unknown builder '{Builder}'. Run Containerize again.");
        OciImageLayout layout;
        try
        {
            layout = OciImageLayout.Open(Layout);
        }
        catch (Exception exception) when (exception is InvalidOciLayoutException or IOException)
        {
            throw new ImageBuildException($"image.json '{manifestFilePath}' points at the OCI layout '{Layout}', which is gone or damaged ({exception.Message}). Run Containerize again.", exception);
        }
        if (layout.Manifest.Digest != Digest)
            throw new ImageBuildException($"The OCI layout '{Layout}' holds {layout.Manifest.Digest}, not {Digest} as image.json '{manifestFilePath}' says. Run Containerize again.");
        var version = new Versioning.ServiceVersion(Version, Commit, ParsedCommitTime, Height: 0, Tag: null);
        return new BuiltImage(ImageReference.Parse(Repository), Digest, Tags, version, builder, layout, LocalImageId, manifestFilePath);
    }

    /// <summary>Reads image.json and returns the image it records.</summary>
    public static async Task<BuiltImage> ReadBuiltImageAsync(string path, CancellationToken cancellationToken = default) =>
        (await ReadAsync(path, cancellationToken)).ToBuiltImage(path);

    /// <summary>The image reference by digest, parsed.</summary>
    [JsonIgnore]
    public ImageReference ParsedReference => ImageReference.Parse(Reference);

    /// <summary>The commit time as a date.</summary>
    [JsonIgnore]
    public DateTimeOffset ParsedCommitTime => DateTimeOffset.Parse(CommitTime, CultureInfo.InvariantCulture);

    private void Validate(string path)
    {
        string? problem = null;
        if (string.IsNullOrWhiteSpace(Repository)) problem = "repository is missing";
        else if (Digest is null || !Digest.StartsWith("sha256:", StringComparison.Ordinal) || Digest.Length != 71) problem = $"digest '{Digest}' is not sha256:<64 hex>";
        else if (Reference != $"{Repository}@{Digest}") problem = $"reference '{Reference}' is not repository@digest";
        else if (Tags is null || Tags.Count == 0) problem = "tags are missing";
        else if (Tags.Any(t => string.Equals(t, ImageTags.Forbidden, StringComparison.OrdinalIgnoreCase))) problem = "it lists the tag 'latest', which the pipeline refuses";
        if (problem is not null)
            throw new ImageBuildException($"image.json '{path}' is invalid: {problem}. Run Containerize again.");
    }
}
