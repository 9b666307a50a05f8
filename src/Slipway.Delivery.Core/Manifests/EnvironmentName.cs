using System.Text.RegularExpressions;

namespace Slipway.Delivery.Manifests;

/// <summary>Environment names double as Kubernetes namespaces and folder names: DNS labels.</summary>
public static partial class EnvironmentName
{
    public const string Rule = "use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters (e.g. staging)";

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex Pattern();

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    public static string Require(string? name) =>
        IsValid(name) ? name! : throw new ManifestException($"environment name '{name}' is invalid; {Rule}");
}
