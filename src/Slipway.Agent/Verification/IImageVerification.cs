using Slipway.Delivery.Oci;
using Slipway.Delivery.SupplyChain;

namespace Slipway.Agent.Verification;

/// <summary>
/// Checks an image's cosign signature and attestations against trusted public keys. A registry that cannot be reached
/// throws: that is no verdict on the image, and the caller retries later.
/// </summary>
public interface IImageVerification
{
    Task<ImageVerdict> VerifyAsync(ImageReference image, IReadOnlyList<string> publicKeyPems, VerificationMode mode, CancellationToken cancellationToken);
}
