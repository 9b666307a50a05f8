using Slipway.Delivery.Oci;
using Slipway.Delivery.Versioning;

namespace Slipway.Delivery.Images;

/// <summary>The service to containerize: an ASP.NET Core project and the name of its image (a repository path, e.g. "beacon").</summary>
/// <param name="ProjectPath">The service's .csproj. Its directory holds the Dockerfile the docker builder uses.</param>
/// <param name="ImageName">Repository path inside the registry, lower case (e.g. "beacon" or "team/beacon").</param>
/// <param name="ContainerPort">The HTTP port the service listens on inside the container (set as ASPNETCORE_HTTP_PORTS and exposed).</param>
public sealed record ServiceProject(string ProjectPath, string ImageName, int ContainerPort = 8080)
{
    /// <summary>The human title for the OCI title label: the image name's last segment.</summary>
    public string Title => ImageName.Split('/')[^1];
}

/// <summary>Everything an image build needs. The base image comes from the platform (never pulled from the internet here).</summary>
/// <param name="Service">The service to build.</param>
/// <param name="Version">Version and commit from Git; its commit time is the image's only clock.</param>
/// <param name="BaseImage">The base image, pinned by digest preferably (e.g. "127.0.0.1:5000/slipway/base@sha256:...").</param>
/// <param name="Registry">The registry host the image is named for (e.g. "127.0.0.1:5000").</param>
/// <param name="ArtifactsDirectory">Where image.json, the OCI layout and the build's work files go (e.g. ".nuke/artifacts").</param>
/// <param name="SourceUrl">The org.opencontainers.image.source label: where the source lives (repository URL).</param>
/// <param name="Builder">Which builder to use.</param>
/// <param name="Trimmed">Publish trimmed (IL trimming). Only where the service is known to work trimmed.</param>
public sealed record ImageBuildRequest(
    ServiceProject Service,
    ServiceVersion Version,
    ImageReference BaseImage,
    string Registry,
    string ArtifactsDirectory,
    string SourceUrl,
    ImageBuilderKind Builder = ImageBuilderKind.Sdk,
    bool Trimmed = false)
{
    /// <summary>The image's repository, e.g. 127.0.0.1:5000/beacon.</summary>
    public ImageReference Repository => new(Registry, Service.ImageName, null, null);

    /// <summary>The tags every build gets: the version and sha-&lt;short commit&gt;. Never 'latest'.</summary>
    public IReadOnlyList<string> Tags => ImageTags.For(Version);

    /// <summary>The work directory of this service's image builds under the artifacts directory.</summary>
    public string WorkDirectory => Path.Combine(Path.GetFullPath(ArtifactsDirectory), "images", Service.ImageName.Replace('/', '-'));

    internal void Validate()
    {
        if (!File.Exists(Service.ProjectPath))
            throw new ImageBuildException($"Service project '{Service.ProjectPath}' does not exist; pass the path of the service's .csproj.");
        if (!System.Text.RegularExpressions.Regex.IsMatch(Service.ImageName, "^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$"))
            throw new ImageBuildException($"Image name '{Service.ImageName}' is not a valid repository path; use lower-case letters, digits, '.', '_', '-' and '/' (e.g. 'beacon').");
        if (string.IsNullOrWhiteSpace(Registry))
            throw new ImageBuildException("No registry host given; pass e.g. '127.0.0.1:5000'.");
        if (string.IsNullOrWhiteSpace(SourceUrl))
            throw new ImageBuildException("No source URL for the org.opencontainers.image.source label; pass the repository URL.");
        if (Service.ContainerPort is <= 0 or > 65535)
            throw new ImageBuildException($"Container port {Service.ContainerPort} is out of range 1-65535.");
    }
}
