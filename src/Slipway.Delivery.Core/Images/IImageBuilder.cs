namespace Slipway.Delivery.Images;

/// <summary>Builds a service's OCI image into an OCI layout and loads it into the local Docker engine.</summary>
public interface IImageBuilder
{
    ImageBuilderKind Kind { get; }

    /// <summary>Builds the image; returns the layout, the digest and the local image id. Does not write image.json.</summary>
    Task<BuiltImage> BuildAsync(ImageBuildRequest request, Serilog.ILogger log, CancellationToken cancellationToken = default);
}
