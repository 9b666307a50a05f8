using System.Runtime.InteropServices;
using System.Text.Json;

namespace Slipway.Delivery.Oci;

/// <summary>Picks this machine's linux image out of a multi-platform index (OCI index or Docker manifest list).</summary>
internal static class OciPlatform
{
    public static string Architecture => RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        _ => "amd64",
    };

    /// <summary>
    /// The descriptor of the linux/&lt;this architecture&gt; manifest in an index; entries without a platform count as a match
    /// (single-image indexes often omit it). <paramref name="available"/> filters out entries whose blobs are absent.
    /// </summary>
    public static OciDescriptor? Choose(byte[] index, Func<OciDescriptor, bool>? available = null)
    {
        using var document = JsonDocument.Parse(index);
        if (!document.RootElement.TryGetProperty("manifests", out var manifests) || manifests.ValueKind != JsonValueKind.Array)
            throw new FormatException("The image index has no manifests array.");
        OciDescriptor? unlabelled = null;
        foreach (var entry in manifests.EnumerateArray())
        {
            var descriptor = OciJson.ReadDescriptor(entry, "image index entry");
            if (available is not null && !available(descriptor)) continue;
            if (!entry.TryGetProperty("platform", out var platform))
            {
                unlabelled ??= descriptor;
                continue;
            }
            if (platform.TryGetProperty("os", out var os) && os.GetString() == "linux"
                && platform.TryGetProperty("architecture", out var architecture) && architecture.GetString() == Architecture)
                return descriptor;
        }
        return unlabelled;
    }
}
