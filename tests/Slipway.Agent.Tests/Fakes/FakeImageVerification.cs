using System.Collections.Concurrent;
using Slipway.Agent.Verification;
using Slipway.Delivery.Oci;
using Slipway.Delivery.SupplyChain;

namespace Slipway.Agent.Tests.Fakes;

/// <summary>
/// The registry's signatures as a test sets them: digests signed, tampered with (a signature that does not verify) or
/// neither (unsigned), and a switch for a registry that cannot be reached. Counts the checks, so a test sees the cache.
/// </summary>
public sealed class FakeImageVerification : IImageVerification
{
    readonly ConcurrentDictionary<string, bool> signedDigests = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, bool> tamperedDigests = new(StringComparer.Ordinal);
    int checks;
    volatile bool registryDown;
    volatile bool signsEverything;

    /// <summary>Every image verifies: for tests about something else, so that no check leaves the process.</summary>
    public static FakeImageVerification SigningEverything() => new() { signsEverything = true };

    public int Checks => Volatile.Read(ref checks);

    /// <summary>The keys of the last check.</summary>
    public IReadOnlyList<string> LastKeys { get; private set; } = [];

    public bool RegistryDown
    {
        get => registryDown;
        set => registryDown = value;
    }

    /// <summary>When set, every check waits for it before it answers (a registry still answering).</summary>
    public TaskCompletionSource? Hold { get; set; }

    /// <summary>Called with the image as each check starts.</summary>
    public Action<ImageReference>? Checking { get; set; }

    public void Sign(string image) => signedDigests[ImageReference.Parse(image).Digest!] = true;

    public void Tamper(string image) => tamperedDigests[ImageReference.Parse(image).Digest!] = true;

    public async Task<ImageVerdict> VerifyAsync(ImageReference image, IReadOnlyList<string> publicKeyPems, VerificationMode mode, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref checks);
        LastKeys = publicKeyPems;
        Checking?.Invoke(image);
        if (Hold is { } hold) await hold.Task.WaitAsync(cancellationToken);
        if (registryDown) throw new HttpRequestException($"Connection refused ({image.Registry})");
        var digest = image.Digest!;
        ImageVerdict verdict = publicKeyPems.Count == 0
            ? new ImageVerdict.Invalid(image, mode, "no trusted public key: the config repo's keys/ folder holds no *.pub file")
            : signsEverything || signedDigests.ContainsKey(digest) ? new ImageVerdict.Verified(image, mode, "signature verified with the key", [])
            : tamperedDigests.ContainsKey(digest) ? new ImageVerdict.Invalid(image, mode, "no signature layer verifies with the key: its payload was changed after signing, or another key signed it")
            : new ImageVerdict.Unsigned(image, mode, $"no signature: the registry has no tag {digest.Replace(':', '-')}.sig");
        return verdict;
    }
}
