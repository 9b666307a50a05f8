namespace Slipway.Delivery.Oci;

/// <summary>An OCI content descriptor: what a blob is, its digest (sha256:…) and its size in bytes.</summary>
public sealed record OciDescriptor(string MediaType, string Digest, long Size);
