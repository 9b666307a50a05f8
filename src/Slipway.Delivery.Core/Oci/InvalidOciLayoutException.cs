namespace Slipway.Delivery.Oci;

/// <summary>A directory is not a (valid) OCI image layout holding one image.</summary>
public sealed class InvalidOciLayoutException(string directory, string problem, Exception? inner = null) : Exception(
    $"'{directory}' is not a valid OCI image layout: {problem}. Create layouts with OciImageLayout.CreateAsync, FromArchiveAsync or RegistryClient.PullAsync.",
    inner)
{
    public string Directory { get; } = directory;
}
