using Docker.DotNet.Models;
using Slipway.Delivery.Docker;
using Slipway.Delivery.Images;
using Slipway.Delivery.Oci;
using Slipway.Delivery.Registry;
using Slipway.Testing;
using Slipway.Delivery.Tests.Registry;
using Slipway.Delivery.Versioning;

namespace Slipway.Delivery.Tests.Images;

[CollectionDefinition(Name)]
public sealed class ImageCollection : ICollectionFixture<ImageTestEnvironment>
{
    // Builds share the engine, one registry and one base image; running them one after another also keeps
    // `dotnet publish` of the same project copy from racing itself.
    public const string Name = "images";
}

/// <summary>
/// A throw-away registry with a test base image, copies of the image test service, and cleanup of every image the
/// tests put into the Docker engine (all are named after this run's registry port).
/// </summary>
public sealed class ImageTestEnvironment : IAsyncLifetime
{
    private readonly RegistryFixture _registry = new();
    private readonly Lazy<Task<BuiltImage>> _goodImage;

    public ImageTestEnvironment() => _goodImage = new(() => BuildAsync(ImageBuilderKind.Docker, NewArtifactsDirectory()));

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "slipway-images-" + Guid.NewGuid().ToString("N")[..8]);
    public string RegistryHost => _registry.Host;

    /// <summary>The source label of every image these tests build (how leftovers are recognised).</summary>
    public const string TestSourceUrl = "https://example.invalid/slipway";
    public ImageReference BaseImage { get; private set; } = null!;

    /// <summary>A fixed version: tests need no Git history.</summary>
    public ServiceVersion Version { get; } = new("1.4.1-alpha.0.3", "0123456789abcdef0123456789abcdef01234567",
        DateTimeOffset.Parse("2026-05-06T07:08:09Z", System.Globalization.CultureInfo.InvariantCulture), 3, "v1.4.0");

    public async ValueTask InitializeAsync()
    {
        await _registry.InitializeAsync();
        Directory.CreateDirectory(Root);
        using var client = new RegistryClient(new TestLog().Logger);
        BaseImage = await TestBaseImage.PushAsync(client, RegistryHost, Path.Combine(Root, "base"), CancellationToken.None);
    }

    public string NewArtifactsDirectory() => Path.Combine(Root, "artifacts-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>A fresh copy of tests/ImageTestService; <paramref name="dockerfile"/> replaces its Dockerfile.</summary>
    public string CopyService(string? dockerfile = null)
    {
        var source = Path.Combine(RepositoryRoot(), "tests", "ImageTestService");
        var target = Path.Combine(Root, "service-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(target);
        foreach (var file in new[] { "ImageTestService.csproj", "Program.cs", "Dockerfile" })
            File.Copy(Path.Combine(source, file), Path.Combine(target, file));
        File.WriteAllText(Path.Combine(target, "Directory.Build.props"),
            $"<Project><Import Project=\"{Path.Combine(RepositoryRoot(), "Directory.Build.props")}\" /></Project>");
        if (dockerfile is not null) File.WriteAllText(Path.Combine(target, "Dockerfile"), dockerfile);
        return Path.Combine(target, "ImageTestService.csproj");
    }

    public ImageBuildRequest Request(ImageBuilderKind builder, string artifactsDirectory, string? project = null, ImageReference? baseImage = null) =>
        new(new ServiceProject(project ?? CopyService(), "image-test-service"), Version, baseImage ?? BaseImage, RegistryHost,
            artifactsDirectory, TestSourceUrl + "/image-test-service", builder);

    public Task<BuiltImage> BuildAsync(ImageBuilderKind builder, string artifactsDirectory) =>
        ImageBuilds.BuildAsync(Request(builder, artifactsDirectory), new TestLog().Logger, CancellationToken.None);

    /// <summary>One good image (docker builder), built on first use and shared.</summary>
    public Task<BuiltImage> GoodImageAsync() => _goodImage.Value;

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Slipway.slnx"))) return directory.FullName;
        throw new InvalidOperationException($"No Slipway.slnx above {AppContext.BaseDirectory}.");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var docker = await DockerEngine.ConnectAsync();
            // Tagged builds, the base the engine pulled by digest (no tag, only a repo digest), and images of these tests
            // left untagged when a rebuild moved their tags. Newest first: children before the base they were built on.
            var images = await docker.Images.ListImagesAsync(new ImagesListParameters { All = true });
            var ours = images
                .Where(i => (i.RepoTags ?? []).Concat(i.RepoDigests ?? []).Any(name => name.StartsWith(RegistryHost + "/", StringComparison.Ordinal)) ||
                            (i.Labels?.TryGetValue(OciLabels.Source, out var source) == true && source.StartsWith(TestSourceUrl, StringComparison.Ordinal) &&
                             (i.RepoTags ?? []).All(tag => tag == "<none>:<none>")))
                .OrderByDescending(i => i.Created);
            foreach (var image in ours)
            {
                try { await docker.Images.DeleteImageAsync(image.ID, new ImageDeleteParameters { Force = true }); }
                catch (global::Docker.DotNet.DockerApiException) { /* already gone with its child, or in use */ }
            }
        }
        finally
        {
            await _registry.DisposeAsync();
            if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
        }
    }
}
