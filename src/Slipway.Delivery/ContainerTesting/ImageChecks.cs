using Docker.DotNet.Models;
using Slipway.Delivery.Images;

namespace Slipway.Delivery.ContainerTesting;

/// <summary>Checks read from the image itself (its config and names), no container needed.</summary>
internal static class ImageChecks
{
    public static IEnumerable<ContainerCheck> Run(BuiltImage image, ImageInspectResponse inspected, ImageManifestFile? manifest)
    {
        var config = inspected.Config;
        yield return NonRoot(config?.User);

        var env = config?.Env ?? [];
        var suspicious = env.Select(pair => pair.Split('=', 2)).Where(pair => SecretPatterns.IsSecretLookingVariable(pair[0], pair.Length > 1 ? pair[1] : ""))
            .Select(pair => pair[0]).ToList();
        yield return new ContainerCheck(CheckCategory.Security, "no secret-looking environment variables", suspicious.Count == 0,
            suspicious.Count == 0 ? $"{env.Count} variables, none secret-looking" : $"secret-looking: {string.Join(", ", suspicious)} (values not shown)");

        var labels = config?.Labels ?? new Dictionary<string, string>();
        var missing = OciLabels.Required.Where(key => !labels.TryGetValue(key, out var value) || string.IsNullOrWhiteSpace(value)).ToList();
        yield return new ContainerCheck(CheckCategory.Compliance, "required OCI labels present", missing.Count == 0,
            missing.Count == 0 ? string.Join(", ", OciLabels.Required.Select(key => key.Split('.')[^1])) : $"missing: {string.Join(", ", missing)}");

        var wrong = new List<string>();
        if (labels.TryGetValue(OciLabels.Version, out var version) && version != image.Version.Version) wrong.Add($"version '{version}' != '{image.Version.Version}'");
        if (labels.TryGetValue(OciLabels.Revision, out var revision) && revision != image.Version.Commit) wrong.Add($"revision '{revision}' != '{image.Version.Commit}'");
        if (labels.TryGetValue(OciLabels.Created, out var created) && created != image.Version.CommitTimeRfc3339) wrong.Add($"created '{created}' != commit time {image.Version.CommitTimeRfc3339}");
        yield return new ContainerCheck(CheckCategory.Compliance, "OCI labels match the commit", wrong.Count == 0,
            wrong.Count == 0 ? $"version {image.Version.Version}, revision {image.Version.ShortCommit}, created {image.Version.CommitTimeRfc3339}" : string.Join("; ", wrong));

        var latest = new List<string>();
        if (image.Tags.Any(IsLatest)) latest.Add("the built image's tags");
        if (manifest is not null && manifest.Tags.Any(IsLatest)) latest.Add("image.json");
        if ((inspected.RepoTags ?? []).Any(tag => IsLatest(tag[(tag.LastIndexOf(':') + 1)..]))) latest.Add("the engine's RepoTags");
        yield return new ContainerCheck(CheckCategory.Compliance, "no 'latest' tag", latest.Count == 0,
            latest.Count == 0 ? $"tags: {string.Join(", ", image.Tags)}" : $"'latest' in {string.Join(", ", latest)}");
    }

    internal static ContainerCheck NonRoot(string? user)
    {
        var name = (user ?? "").Split(':')[0].Trim();
        var root = name.Length == 0 || name == "0" || name.Equals("root", StringComparison.Ordinal);
        return new ContainerCheck(CheckCategory.Security, "runs as non-root", !root,
            root ? $"image user is '{(name.Length == 0 ? "(unset: root)" : user)}'; set a non-root user (e.g. USER 1654)" : $"user {user}");
    }

    private static bool IsLatest(string tag) => string.Equals(tag, ImageTags.Forbidden, StringComparison.OrdinalIgnoreCase);
}
