using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Slipway.Delivery.Oci;

namespace Slipway.Delivery.SupplyChain;

/// <summary>
/// A CycloneDX 1.6 JSON SBOM of an image (cyclonedx.org/docs/1.6/json): the image as metadata.component (type
/// container) and its packages as library components with purls. The same image and packages give the same bytes:
/// the serial number derives from the image digest and the timestamp is the caller's (the source commit's time).
/// Attested under cosign's predicate type for <c>--type cyclonedx</c>.
/// </summary>
public sealed record CycloneDxSbom(string SpecVersion, string SerialNumber, string? SubjectName, string? SubjectVersion, IReadOnlyList<SbomComponent> Components)
{
    public const string PredicateType = "https://cyclonedx.org/bom";
    public const string CurrentSpecVersion = "1.6";

    public static AttestationPredicate Create(ImageReference image, IEnumerable<SbomComponent> components, DateTimeOffset timestamp)
    {
        var (repository, digest) = CosignFormat.RequireDigest(image);
        var list = new JsonArray();
        foreach (var component in components.DistinctBy(component => component.Purl).OrderBy(component => component.Purl, StringComparer.Ordinal))
        {
            var entry = new JsonObject { ["type"] = "library", ["bom-ref"] = component.Purl, ["name"] = component.Name };
            if (component.Version is not null) entry["version"] = component.Version;
            entry["purl"] = component.Purl;
            list.Add(entry);
        }
        var bom = new JsonObject
        {
            ["bomFormat"] = "CycloneDX",
            ["specVersion"] = CurrentSpecVersion,
            ["serialNumber"] = SerialFor(digest),
            ["version"] = 1,
            ["metadata"] = new JsonObject
            {
                ["timestamp"] = timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                ["tools"] = new JsonObject
                {
                    ["components"] = new JsonArray(new JsonObject { ["type"] = "application", ["name"] = "slipway" }),
                },
                ["component"] = new JsonObject
                {
                    ["type"] = "container",
                    ["bom-ref"] = ImagePurl(repository, digest),
                    ["name"] = CosignFormat.RepositoryIdentity(repository),
                    ["version"] = digest,
                    ["purl"] = ImagePurl(repository, digest),
                },
            },
            ["components"] = list,
        };
        return new AttestationPredicate(PredicateType, bom);
    }

    /// <summary>Reads an SBOM back, requiring bomFormat CycloneDX, a 1.x specVersion and components with a type and a name.</summary>
    public static CycloneDxSbom Parse(JsonObject bom)
    {
        if (Text(bom, "bomFormat") != "CycloneDX") throw new FormatException("the SBOM's bomFormat is not CycloneDX.");
        var specVersion = Text(bom, "specVersion") ?? throw new FormatException("the SBOM has no specVersion.");
        if (!specVersion.StartsWith("1.", StringComparison.Ordinal)) throw new FormatException($"the SBOM's specVersion is '{specVersion}', not 1.x.");
        var subject = bom["metadata"]?["component"] as JsonObject;
        var components = (bom["components"] as JsonArray ?? []).Select((node, index) =>
        {
            if (node is not JsonObject component || Text(component, "type") is null || Text(component, "name") is not { } name)
                throw new FormatException($"the SBOM's component {index} lacks a type or a name.");
            return new SbomComponent(name, Text(component, "version"), Text(component, "purl") ?? "");
        }).ToList();
        return new CycloneDxSbom(specVersion, Text(bom, "serialNumber") ?? "",
            subject is null ? null : Text(subject, "name"), subject is null ? null : Text(subject, "version"), components);
    }

    /// <summary>purl-spec's OCI type: <c>pkg:oci/name@sha256%3A…?repository_url=registry/repository</c>.</summary>
    private static string ImagePurl(ImageReference repository, string digest) =>
        $"pkg:oci/{repository.Repository[(repository.Repository.LastIndexOf('/') + 1)..]}@{Uri.EscapeDataString(digest)}" +
        $"?repository_url={Uri.EscapeDataString(CosignFormat.RepositoryIdentity(repository))}";

    /// <summary>A urn:uuid (RFC 4122 layout, version 8 "custom") from the image digest, so the same image gives the same SBOM.</summary>
    private static string SerialFor(string digest)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes("slipway-sbom:" + digest))[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexStringLower(bytes);
        return $"urn:uuid:{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }

    private static string? Text(JsonObject node, string name) =>
        node[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
