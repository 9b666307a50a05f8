using Slipway.Delivery.Oci;
using Slipway.Delivery.Registry;
using Slipway.Delivery.SupplyChain;

namespace Slipway.Agent.Verification;

/// <summary>The real check: the image's registry, read through <see cref="RegistryClient"/>, as the build's gates read it.</summary>
public sealed class RegistryImageVerification(RegistryClient registry) : IImageVerification
{
    public Task<ImageVerdict> VerifyAsync(ImageReference image, IReadOnlyList<string> publicKeyPems, VerificationMode mode, CancellationToken cancellationToken) =>
        ImageVerifier.VerifyWithAnyKeyAsync(registry, image, publicKeyPems, mode, cancellationToken);
}
