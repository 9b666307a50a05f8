namespace Slipway.Delivery.SupplyChain;

/// <summary>One package in an SBOM: its name, version (null where unknown) and package URL (purl-spec).</summary>
public sealed record SbomComponent(string Name, string? Version, string Purl)
{
    /// <summary>A NuGet package: <c>pkg:nuget/Name@Version</c>.</summary>
    public static SbomComponent NuGet(string name, string version) =>
        new(name, version, $"pkg:nuget/{Uri.EscapeDataString(name)}@{Uri.EscapeDataString(version)}");

    /// <summary>A Debian package: <c>pkg:deb/debian/name@version?arch=…</c>, without <c>@version</c> where it is not known.</summary>
    public static SbomComponent Debian(string name, string? version, string architecture) =>
        new(name, version, $"pkg:deb/debian/{Uri.EscapeDataString(name)}" +
                           (version is null ? "" : "@" + Uri.EscapeDataString(version)) +
                           $"?arch={Uri.EscapeDataString(architecture)}");
}
