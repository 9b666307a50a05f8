using System.Diagnostics;

namespace Slipway.Delivery.Images;

/// <summary>The facade the Containerize target calls: picks the builder, builds, records image.json.</summary>
public static class ImageBuilds
{
    public static IImageBuilder Create(ImageBuilderKind kind) => kind switch
    {
        ImageBuilderKind.Sdk => new SdkImageBuilder(),
        ImageBuilderKind.Docker => new DockerImageBuilder(),
        _ => throw new ImageBuildException($"Unknown image builder '{kind}'; use sdk or docker."),
    };

    /// <summary>Builds the image with the requested builder and writes &lt;artifacts&gt;/image.json.</summary>
    public static async Task<BuiltImage> BuildAsync(ImageBuildRequest request, Serilog.ILogger log, CancellationToken cancellationToken = default)
    {
        request.Validate();
        var builder = Create(request.Builder);
        log.Information("Building image {Repository} {Tags} for {Project} with the {Builder} builder on {Base}",
            request.Repository, request.Tags, request.Service.ProjectPath, request.Builder, request.BaseImage);
        var stopwatch = Stopwatch.StartNew();
        var image = await builder.BuildAsync(request, log, cancellationToken);
        var manifestPath = ImageManifestFile.PathIn(request.ArtifactsDirectory);
        await ImageManifestFile.From(image).WriteAsync(manifestPath, cancellationToken);
        log.Information("Built {Reference} (local {LocalImageId}) in {Elapsed:0.0}s; recorded in {ManifestFile}",
            image.Reference, image.LocalImageId, stopwatch.Elapsed.TotalSeconds, manifestPath);
        return image with { ManifestFile = manifestPath };
    }
}
