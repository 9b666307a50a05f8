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
    public static IReadOnlyList<SbomComponent> ParseDpkgStatus(string status)
    {
        var components = new List<SbomComponent>();
        foreach (var paragraph in status.ReplaceLineEndings("\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = paragraph.Split('\n')
                .Where(line => line.Length > 0 && !char.IsWhiteSpace(line[0]) && line.Contains(':'))
                .Select(line => (Key: line[..line.IndexOf(':')], Value: line[(line.IndexOf(':') + 1)..].Trim()))
                .GroupBy(field => field.Key, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(group => group.Key, group => group.First().Value, StringComparer.OrdinalIgnoreCase);
            if (!fields.TryGetValue("Package", out var name) || !fields.TryGetValue("Status", out var state) || state != "install ok installed")
                continue;
            components.Add(SbomComponent.Debian(name, fields.GetValueOrDefault("Version"),
                fields.GetValueOrDefault("Architecture") ?? DebianBaseRecipe.Architecture));
        }
        return components.OrderBy(component => component.Purl, StringComparer.Ordinal).ToList();
    }
}
