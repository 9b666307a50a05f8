using System.Globalization;

namespace Slipway.Delivery.Manifests;

/// <summary>What SetFlag sets a feature flag to (see <see cref="FlagChange"/> for what each form writes).</summary>
public enum FlagValueKind
{
    /// <summary>On for everyone.</summary>
    On,

    /// <summary>Off for everyone.</summary>
    Off,

    /// <summary>On for a stable share of users (Microsoft.Targeting's DefaultRolloutPercentage).</summary>
    Percentage,

    /// <summary>On for everyone, users split over the flag's variants by percentile (allocation.percentile).</summary>
    Variants,
}

/// <summary>One variant's share of users in a variant allocation, in percent.</summary>
public sealed record VariantShare(string Variant, int Percent);

/// <summary>
/// A flag value as typed: <c>on</c>, <c>off</c>, a percentage <c>30%</c>, or a variant allocation <c>Formal=70,Casual=30</c>
/// (whole percents adding up to 100). <see cref="ToString"/> gives the canonical spelling, which is what the
/// <see cref="SlipwayMetadata.FlagOverridesAnnotation"/> records.
/// </summary>
public sealed record FlagValue
{
    private FlagValue(FlagValueKind kind, int percent, IReadOnlyList<VariantShare> variants)
    {
        Kind = kind;
        Percent = percent;
        Variants = variants;
    }

    public FlagValueKind Kind { get; }

    /// <summary>The share of users the flag is on for (<see cref="FlagValueKind.Percentage"/> only).</summary>
    public int Percent { get; }

    /// <summary>The variants in the order their percentile ranges are laid out (<see cref="FlagValueKind.Variants"/> only).</summary>
    public IReadOnlyList<VariantShare> Variants { get; }

    public static FlagValue On { get; } = new(FlagValueKind.On, 100, []);
    public static FlagValue Off { get; } = new(FlagValueKind.Off, 0, []);

    /// <summary>Not a value but SetFlag's way back: the flag returns to what deploy/ declares (see <see cref="FlagChange.Reset"/>).</summary>
    public const string DeployKeyword = "deploy";

    public const string Forms = "on, off, a percentage of users (e.g. 30%) or a variant allocation (e.g. Formal=70,Casual=30, adding up to 100); " +
                                "deploy hands the flag back to deploy/";

    /// <summary>Parses <paramref name="text"/>, the value for <paramref name="flag"/> (named in errors).</summary>
    /// <exception cref="ManifestException">The value is none of the forms.</exception>
    public static FlagValue Parse(string flag, string? text)
    {
        var value = text?.Trim() ?? "";
        if (value.Length == 0) throw Problem(flag, value, "is empty");
        switch (value.ToLowerInvariant())
        {
            case "on" or "true" or "enabled": return On;
            case "off" or "false" or "disabled": return Off;
        }
        if (value.Contains('='))
        {
            var shares = new List<VariantShare>();
            foreach (var part in value.Split(',', StringSplitOptions.TrimEntries))
            {
                var pair = part.Split('=', StringSplitOptions.TrimEntries);
                if (pair.Length != 2 || pair[0].Length == 0 ||
                    !int.TryParse(pair[1].TrimEnd('%'), NumberStyles.None, CultureInfo.InvariantCulture, out var percent) || percent > 100)
                    throw Problem(flag, value, $"has '{part}', which is not <variant>=<whole percent>");
                if (shares.Any(share => share.Variant == pair[0]))
                    throw Problem(flag, value, $"names variant '{pair[0]}' twice");
                shares.Add(new VariantShare(pair[0], percent));
            }
            var total = shares.Sum(share => share.Percent);
            if (total != 100)
                throw Problem(flag, value, $"adds up to {total}%; the shares of a variant allocation add up to 100");
            return new FlagValue(FlagValueKind.Variants, 0, shares);
        }
        if (value.EndsWith('%'))
        {
            if (!int.TryParse(value[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var percent) || percent > 100)
                throw Problem(flag, value, "is not a whole percentage from 0% to 100%");
            return new FlagValue(FlagValueKind.Percentage, percent, []);
        }
        throw Problem(flag, value, "is not understood");
    }

    /// <summary>The canonical spelling: on, off, 30%, Formal=70,Casual=30.</summary>
    public override string ToString() => Kind switch
    {
        FlagValueKind.On => "on",
        FlagValueKind.Off => "off",
        FlagValueKind.Percentage => Percent.ToString(CultureInfo.InvariantCulture) + "%",
        _ => string.Join(',', Variants.Select(share => $"{share.Variant}={share.Percent.ToString(CultureInfo.InvariantCulture)}")),
    };

    public bool Equals(FlagValue? other) => other is not null && ToString() == other.ToString();

    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    private static ManifestException Problem(string flag, string value, string reason) =>
        new($"--value '{value}' for flag '{flag}' {reason}; use {Forms}");
}
