namespace Slipway.Delivery.Images;

/// <summary>The OCI annotation keys every image carries as labels (https://github.com/opencontainers/image-spec/blob/main/annotations.md).</summary>
public static class OciLabels
{
    public const string Source = "org.opencontainers.image.source";
    public const string Revision = "org.opencontainers.image.revision";
    public const string Version = "org.opencontainers.image.version";
    public const string Created = "org.opencontainers.image.created";
    public const string Title = "org.opencontainers.image.title";

    public static IReadOnlyList<string> Required { get; } = [Source, Revision, Version, Created, Title];

    /// <summary>The label values for a build: all derive from the commit, none from the clock.</summary>
    public static IReadOnlyDictionary<string, string> For(ImageBuildRequest request) => new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        [Source] = Versioning.GitVersioning.WithoutCredentials(request.SourceUrl),
        [Revision] = request.Version.Commit,
        [Version] = request.Version.Version,
        [Created] = request.Version.CommitTimeRfc3339,
        [Title] = request.Service.Title,
    };
}
