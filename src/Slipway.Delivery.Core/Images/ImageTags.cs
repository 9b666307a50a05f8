using System.Text.RegularExpressions;
using Slipway.Delivery.Versioning;

namespace Slipway.Delivery.Images;

/// <summary>The tags an image gets. 'latest' is refused everywhere: a moving tag cannot say what runs.</summary>
public static partial class ImageTags
{
    public const string Forbidden = "latest";

    public static IReadOnlyList<string> For(ServiceVersion version)
    {
        var tags = new[] { version.Version.Replace('+', '-'), $"sha-{version.ShortCommit}" };
        foreach (var tag in tags) EnsureAllowed(tag);
        return tags;
    }

    /// <summary>Throws when <paramref name="tag"/> is 'latest' or not a valid OCI tag.</summary>
    public static void EnsureAllowed(string tag)
    {
        if (string.Equals(tag, Forbidden, StringComparison.OrdinalIgnoreCase))
            throw new ImageBuildException("The tag 'latest' is refused: images are tagged with their version and commit and deployed by digest.");
        if (!ValidTag().IsMatch(tag))
            throw new ImageBuildException($"'{tag}' is not a valid image tag (letters, digits, '_', '.', '-'; at most 128 characters).");
    }

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex ValidTag();
}
