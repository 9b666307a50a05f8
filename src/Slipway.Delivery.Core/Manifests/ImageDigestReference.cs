using System.Text.RegularExpressions;

namespace Slipway.Delivery.Manifests;

/// <summary>An image named by content: "registry/repository@sha256:&lt;64 hex&gt;" (a tag before the digest is tolerated and dropped).</summary>
public sealed partial record ImageDigestReference(string Repository, string Digest)
{
    [GeneratedRegex(@"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-]+[a-z0-9]+)*)*$")]
    private static partial Regex RepositoryPattern();

    public override string ToString() => $"{Repository}@{Digest}";

    /// <summary>Parses or explains why the text does not name an image by digest; null problem means success.</summary>
    public static bool TryParse(string? text, out ImageDigestReference? reference, out string problem)
    {
        reference = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = "the image is empty; name it by digest, e.g. 127.0.0.1:5000/beacon@sha256:<64 hex>";
            return false;
        }
        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at < 0)
        {
            var tagged = text.LastIndexOf(':') > text.LastIndexOf('/');
            problem = tagged && text.EndsWith(":latest", StringComparison.Ordinal)
                ? $"image '{text}' uses the mutable tag 'latest'; pin it by digest (repository@sha256:<64 hex>)"
                : tagged
                    ? $"image '{text}' is named by tag; pin it by digest (repository@sha256:<64 hex>)"
                    : $"image '{text}' has no digest (it means ':latest'); pin it by digest (repository@sha256:<64 hex>)";
            return false;
        }
        var repository = text[..at];
        var digest = text[(at + 1)..];
        var lastSlash = repository.LastIndexOf('/');
        var tagColon = repository.LastIndexOf(':');
        if (tagColon > lastSlash) repository = repository[..tagColon];   // "repo:tag@sha256:..." -> the digest wins
        if (!Oci.ImageDigest.TryParse(digest, out _))
        {
            problem = $"image '{text}' has digest '{digest}'; a digest is 'sha256:' followed by 64 lowercase hex characters";
            return false;
        }
        if (!RepositoryPattern().IsMatch(repository))
        {
            problem = $"image '{text}' has an invalid repository '{repository}'; use lowercase [registry[:port]/]name[/name]";
            return false;
        }
        reference = new ImageDigestReference(repository, digest);
        problem = "";
        return true;
    }

    public static ImageDigestReference Parse(string text) =>
        TryParse(text, out var reference, out var problem) ? reference! : throw new ManifestException(problem);
}
