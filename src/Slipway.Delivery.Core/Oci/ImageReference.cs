using System.Text.RegularExpressions;

namespace Slipway.Delivery.Oci;

/// <summary>
/// A reference to an image in a registry: <c>registry/repository[:tag][@digest]</c>, for example
/// <c>127.0.0.1:5000/beacon:1.2.3</c> or <c>127.0.0.1:5000/slipway/base@sha256:…</c>.
/// Follows the distribution reference grammar; a first path component without '.' or ':' (and not
/// "localhost") is a repository on docker.io, as Docker reads it.
/// </summary>
public sealed partial record ImageReference
{
    public const string DefaultRegistry = "docker.io";

    public ImageReference(string Registry, string Repository, string? Tag, string? Digest)
    {
        this.Registry = Registry;
        this.Repository = Repository;
        this.Tag = Tag;
        this.Digest = Digest;
    }

    // Validated on construction and in `with` expressions alike.
    public string Registry
    {
        get;
        init => field = !string.IsNullOrWhiteSpace(value) && RegistryPattern().IsMatch(value)
            ? value
            : throw new FormatException($"'{value}' is not a valid registry host: expected host[:port], for example 127.0.0.1:5000.");
    }

    public string Repository
    {
        get;
        init => field = !string.IsNullOrEmpty(value) && value.Length <= 255 && RepositoryPattern().IsMatch(value)
            ? value
            : throw new FormatException(
                $"'{value}' is not a valid repository name: use lowercase letters, digits and separators ('.', '_', '__', '-') " +
                "in path components joined by '/', for example slipway/beacon.");
    }

    public string? Tag
    {
        get;
        init => field = value is null || TagPattern().IsMatch(value)
            ? value
            : throw new FormatException($"'{value}' is not a valid tag: up to 128 characters of letters, digits, '_', '.', '-', not starting with '.' or '-'.");
    }

    public string? Digest
    {
        get;
        init => field = value is null || DigestPattern().IsMatch(value)
            ? value
            : throw new FormatException($"'{value}' is not a valid digest: expected sha256: followed by 64 lowercase hex digits.");
    }

    public void Deconstruct(out string registry, out string repository, out string? tag, out string? digest) =>
        (registry, repository, tag, digest) = (Registry, Repository, Tag, Digest);

    /// <summary>What the registry API takes in /v2/&lt;name&gt;/manifests/&lt;reference&gt;: the digest when known, else the tag.</summary>
    public string ManifestReference => Digest ?? Tag
        ?? throw new InvalidOperationException($"Image reference '{this}' names neither a tag nor a digest; add :<tag> or @sha256:<digest>.");

    /// <summary>The repository without tag or digest, e.g. <c>127.0.0.1:5000/beacon</c>.</summary>
    public string Name => $"{Registry}/{Repository}";

    public static ImageReference Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new FormatException("An image reference is empty: expected registry/repository[:tag][@digest], for example 127.0.0.1:5000/beacon:1.2.3.");
        var trimmed = text.Trim();

        string? digest = null;
        var at = trimmed.IndexOf('@');
        if (at >= 0)
        {
            digest = trimmed[(at + 1)..];
            trimmed = trimmed[..at];
            if (!DigestPattern().IsMatch(digest))
                throw new FormatException($"Image reference '{text}' has an invalid digest '{digest}': expected sha256: followed by 64 lowercase hex digits.");
        }

        string? tag = null;
        var lastSlash = trimmed.LastIndexOf('/');
        var colon = trimmed.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tag = trimmed[(colon + 1)..];
            trimmed = trimmed[..colon];
        }

        string registry, repository;
        var firstSlash = trimmed.IndexOf('/');
        var first = firstSlash < 0 ? null : trimmed[..firstSlash];
        if (first is not null && (first.Contains('.') || first.Contains(':') || first == "localhost"))
        {
            registry = first;
            repository = trimmed[(firstSlash + 1)..];
        }
        else
        {
            registry = DefaultRegistry;
            repository = firstSlash < 0 ? "library/" + trimmed : trimmed;
        }

        try
        {
            return new ImageReference(registry, repository, tag, digest);
        }
        catch (FormatException exception)
        {
            throw new FormatException($"Image reference '{text}' is invalid: {exception.Message}", exception);
        }
    }

    public static bool TryParse(string text, out ImageReference? reference)
    {
        try
        {
            reference = Parse(text);
            return true;
        }
        catch (FormatException)
        {
            reference = null;
            return false;
        }
    }

    public ImageReference WithTag(string tag) => new(Registry, Repository, tag, Digest);
    public ImageReference WithDigest(string digest) => new(Registry, Repository, Tag, digest);
    /// <summary>The same repository without tag or digest.</summary>
    public ImageReference WithoutTagOrDigest() => new(Registry, Repository, null, null);

    public override string ToString() =>
        Name + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]{1,5})?$")]
    private static partial Regex RegistryPattern();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^sha256:[a-f0-9]{64}$")]
    internal static partial Regex DigestPattern();
}
