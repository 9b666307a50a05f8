using Slipway.Delivery.Platform;

namespace Slipway.Delivery.SupplyChain;

/// <summary>The Debian packages of a base image: from its recipe (names only), or with versions from the image's dpkg status file.</summary>
public static class DebianPackages
{
    /// <summary>The recipe's package list; versions come from the mirror at build time, so they are unknown here.</summary>
    public static IReadOnlyList<SbomComponent> FromRecipe(DebianBaseRecipe recipe) =>
        recipe.Packages.Order(StringComparer.Ordinal)
            .Select(name => SbomComponent.Debian(name, version: null, DebianBaseRecipe.Architecture))
            .ToList();

    /// <summary>
    /// Installed packages from <c>/var/lib/dpkg/status</c> (paragraphs of Package, Version, Architecture, Status): every
    /// package whose status is "install ok installed", with its version and architecture.
    /// </summary>
    public static IReadOnlyList<SbomComponent> ParseDpkgStatus(string status) =>
        FromParagraphs(status.ReplaceLineEndings("\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries), requireInstalled: true);

    /// <summary>
    /// Packages from a distroless-style <c>/var/lib/dpkg/status.d/</c>: one control paragraph per package (Package,
    /// Version, Architecture, as <c>dpkg-deb --field</c> writes them), present only for what was unpacked into the image.
    /// </summary>
    public static IReadOnlyList<SbomComponent> ParseStatusDirectory(IEnumerable<string> paragraphs) =>
        FromParagraphs(paragraphs.Select(paragraph => paragraph.ReplaceLineEndings("\n")), requireInstalled: false);

    private static IReadOnlyList<SbomComponent> FromParagraphs(IEnumerable<string> paragraphs, bool requireInstalled)
    {
        var components = new List<SbomComponent>();
        foreach (var paragraph in paragraphs)
        {
            var fields = paragraph.Split('\n')
                .Where(line => line.Length > 0 && !char.IsWhiteSpace(line[0]) && line.Contains(':'))
                .Select(line => (Key: line[..line.IndexOf(':')], Value: line[(line.IndexOf(':') + 1)..].Trim()))
                .GroupBy(field => field.Key, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(group => group.Key, group => group.First().Value, StringComparer.OrdinalIgnoreCase);
            if (!fields.TryGetValue("Package", out var name)) continue;
            if (requireInstalled && (!fields.TryGetValue("Status", out var state) || state != "install ok installed")) continue;
            components.Add(SbomComponent.Debian(name, fields.GetValueOrDefault("Version"),
                fields.GetValueOrDefault("Architecture") ?? DebianBaseRecipe.Architecture));
        }
        return components.OrderBy(component => component.Purl, StringComparer.Ordinal).ToList();
    }
}
