namespace Slipway.Delivery.Images;

/// <summary>How the service's OCI image is built.</summary>
public enum ImageBuilderKind
{
    /// <summary>The .NET SDK's daemonless container build (<c>dotnet publish -t:PublishContainer</c>), made reproducible.</summary>
    Sdk,

    /// <summary>The service's Dockerfile built by the Docker engine (classic builder through the Engine API).</summary>
    Docker,
}
