using System.Globalization;
using Docker.DotNet.Models;
using Slipway.Delivery.Docker;
using Slipway.Delivery.Oci;

namespace Slipway.Delivery.Images;

/// <summary>
/// The Docker builder: publishes the service self-contained, sends the service's Dockerfile plus that output as an
/// in-process tar context to the engine (build args BASE_IMAGE, VERSION, REVISION, CREATED, SOURCE, TITLE, PORT),
/// reports the build stream, then exports the image (<c>docker save</c>) into an OCI layout.
/// </summary>
/// <remarks>
/// The Dockerfile is single-stage: a multi-stage build would need an SDK image, and none can be pulled here.
/// </remarks>
public sealed class DockerImageBuilder : IImageBuilder
{
    public ImageBuilderKind Kind => ImageBuilderKind.Docker;

    public async Task<BuiltImage> BuildAsync(ImageBuildRequest request, Serilog.ILogger log, CancellationToken cancellationToken = default)
    {
        request.Validate();
        var dockerfile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(request.Service.ProjectPath))!, "Dockerfile");
        if (!File.Exists(dockerfile))
            throw new ImageBuildException($"The docker builder needs a Dockerfile next to {request.Service.ProjectPath} (expected {dockerfile}); " +
                                          "add one (see src/Beacon/Dockerfile) or use the sdk builder.");

        var work = Path.Combine(request.WorkDirectory, "docker");
        var publish = Path.Combine(work, "publish");
        if (Directory.Exists(publish)) Directory.Delete(publish, recursive: true);
        Directory.CreateDirectory(work);

        log.Information("dotnet publish ({Project}) for the Docker build context", request.Service.ProjectPath);
        await DotnetPublish.RunAsync(DotnetPublish.Arguments(request, ["-o", publish]), request, new Dictionary<string, string?>(), log, cancellationToken);

        var context = Path.Combine(work, "context.tar");
        await DockerBuildContext.WriteAsync(dockerfile, publish, context, request.Version.CommitTime, cancellationToken);

        using var docker = await DockerEngine.ConnectAsync(cancellationToken: cancellationToken);
        var localTags = request.Tags.Select(tag => $"{request.Repository}:{tag}").ToList();
        var labels = OciLabels.For(request);
        var parameters = new ImageBuildParameters
        {
            Dockerfile = "Dockerfile",
            Tags = localTags,
            Remove = true,
            ForceRemove = true,
            BuildArgs = new Dictionary<string, string>
            {
                ["BASE_IMAGE"] = request.BaseImage.ToString(),
                ["VERSION"] = labels[OciLabels.Version],
                ["REVISION"] = labels[OciLabels.Revision],
                ["CREATED"] = labels[OciLabels.Created],
                ["SOURCE"] = labels[OciLabels.Source],
                ["TITLE"] = labels[OciLabels.Title],
                ["PORT"] = request.Service.ContainerPort.ToString(CultureInfo.InvariantCulture),
            },
        };

        var progress = new DockerProgress(log, "build");
        await using (var contextStream = File.OpenRead(context))
            await docker.Images.BuildImageFromDockerfileAsync(parameters, contextStream, null, null, progress, cancellationToken);
        File.Delete(context);
        progress.ThrowIfFailed($"Docker build of {request.Repository} from {dockerfile}");

        var inspected = await docker.Images.InspectImageAsync(localTags[0], cancellationToken);
        if (progress.ImageId is { } reported && reported != inspected.ID)
            throw new ImageBuildException($"The engine reported image {reported} but {localTags[0]} is {inspected.ID}; another build raced this one. Build again.");
        log.Information("Docker built {ImageId} as {Tags}", inspected.ID, string.Join(", ", localTags));

        var saved = Path.Combine(work, "image.tar");
        await using (var archive = await docker.Images.SaveImagesAsync([.. localTags], cancellationToken))
        await using (var file = File.Create(saved))
            await archive.CopyToAsync(file, cancellationToken);

        var layoutDirectory = Path.Combine(request.WorkDirectory, "oci-docker");
        if (Directory.Exists(layoutDirectory)) Directory.Delete(layoutDirectory, recursive: true);
        var layout = await OciImageLayout.FromArchiveAsync(saved, layoutDirectory, cancellationToken);
        File.Delete(saved);
        log.Information("OCI layout {Layout}: manifest {Digest}", layout.Directory, layout.Manifest.Digest);

        return new BuiltImage(request.Repository, layout.Manifest.Digest, request.Tags, request.Version, Kind, layout, inspected.ID,
            ImageManifestFile.PathIn(request.ArtifactsDirectory));
    }
}
