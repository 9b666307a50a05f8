using Slipway.Delivery.Manifests;
using Slipway.Delivery.Oci;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Slipway.Agent.ImageAutomation;

/// <summary>One environment under image automation: the repository watched and the policy that picks its tag.</summary>
public sealed record ImageAutomationRule(string Environment, ImageReference Repository, ImagePolicy Policy)
{
    /// <summary>True when a registry notification about <paramref name="repository"/> (the path, e.g. "beacon") concerns this rule.</summary>
    public bool Watches(string repository) => string.Equals(Repository.Repository, repository, StringComparison.Ordinal);
}

/// <summary>
/// The image automation file (agent option --image-automation &lt;file&gt;): which environments follow which repository
/// under which policy, in the shape of Flux's ImageRepository + ImagePolicy. Unknown fields are errors.
/// <code>
/// environments:
///   staging:
///     image: 127.0.0.1:5000/beacon
///     policy:
///       semver: { range: "&gt;=1.0.0 &lt;2.0.0" }        # includePrerelease: true to consider 1.1.0-rc.1
///   production:
///     image: 127.0.0.1:5000/beacon
///     filterTags: { pattern: '^main-[0-9a-f]+-(?&lt;ts&gt;[0-9]+)$', extract: '$ts' }
///     policy:
///       numerical: { order: asc }                 # or alphabetical; asc picks the highest key, desc the lowest
/// </code>
/// </summary>
public static class ImageAutomationRules
{
    public static IReadOnlyList<ImageAutomationRule> Load(string path)
    {
        if (!File.Exists(path))
            throw new ImagePolicyException($"{path}: the image automation file does not exist; create it or drop --image-automation");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses the file's text; <paramref name="source"/> names it in errors. Every problem is reported at once.</summary>
    public static IReadOnlyList<ImageAutomationRule> Parse(string yaml, string source)
    {
        FileModel? model;
        try
        {
            model = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build().Deserialize<FileModel>(yaml);
        }
        catch (YamlException exception)
        {
            var reason = (exception.InnerException?.Message ?? exception.Message).Replace(System.Environment.NewLine, " ");
            throw new ImagePolicyException($"{source} (line {exception.Start.Line}, column {exception.Start.Column}): {reason}; " +
                                           "fix the field (names: environments.<env>.image, filterTags.pattern/extract, policy.semver.range/includePrerelease, " +
                                           "policy.numerical.order, policy.alphabetical.order)");
        }
        if (model?.Environments is not { Count: > 0 } environments)
            throw new ImagePolicyException($"{source}: no environments; list them under 'environments:' (environment name: image and policy)");

        var problems = new List<string>();
        var rules = new List<ImageAutomationRule>();
        foreach (var (environment, entry) in environments.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            var where = $"{source}: environments.{environment}";
            if (!Slipway.Delivery.Manifests.EnvironmentName.IsValid(environment))
            {
                problems.Add($"{where}: '{environment}' is not a valid environment name; {Slipway.Delivery.Manifests.EnvironmentName.Rule}");
                continue;
            }
            if (entry is null)
            {
                problems.Add($"{where}: empty; give image and policy");
                continue;
            }
            try
            {
                rules.Add(new ImageAutomationRule(environment, Repository(entry.Image, where), Policy(entry, where)));
            }
            catch (ImagePolicyException exception)
            {
                problems.Add(exception.Message.StartsWith(where, StringComparison.Ordinal) ? exception.Message : $"{where}: {exception.Message}");
            }
        }
        if (problems.Count > 0) throw new ImagePolicyException(string.Join(System.Environment.NewLine, problems));
        return rules;
    }

    static ImageReference Repository(string? image, string where)
    {
        if (string.IsNullOrWhiteSpace(image))
            throw new ImagePolicyException($"{where}.image is missing; name the repository to watch, e.g. 127.0.0.1:5000/beacon");
        if (!ImageReference.TryParse(image.Trim(), out var reference) || reference is null)
            throw new ImagePolicyException($"{where}.image '{image}' is not an image repository; use [registry[:port]/]name, e.g. 127.0.0.1:5000/beacon");
        if (reference.Tag is not null || reference.Digest is not null)
            throw new ImagePolicyException($"{where}.image '{image}' names a tag or digest; give the repository only (the policy picks the tag)");
        return reference;
    }

    static ImagePolicy Policy(EntryModel entry, string where)
    {
        var pattern = entry.FilterTags?.Pattern;
        var extract = entry.FilterTags?.Extract;
        var kinds = new (string Name, object? Value)[] { ("semver", entry.Policy?.Semver), ("numerical", entry.Policy?.Numerical), ("alphabetical", entry.Policy?.Alphabetical) }
            .Where(kind => kind.Value is not null).ToList();
        if (kinds.Count != 1)
            throw new ImagePolicyException($"{where}.policy {(kinds.Count == 0 ? "is missing" : $"has {string.Join(" and ", kinds.Select(k => k.Name))}")}; " +
                                           "give exactly one of semver (range), numerical (order) or alphabetical (order)");
        return kinds[0].Value switch
        {
            SemverModel semver => ImagePolicy.ForSemver(semver.Range ?? "", semver.IncludePrerelease, pattern, extract),
            OrderModel order when ReferenceEquals(order, entry.Policy!.Numerical) => ImagePolicy.ForOrder(TagOrdering.Numerical, pattern, extract, Descending(order, where + ".policy.numerical")),
            OrderModel order => ImagePolicy.ForOrder(TagOrdering.Alphabetical, pattern, extract, Descending(order, where + ".policy.alphabetical")),
            _ => throw new InvalidOperationException("unknown policy kind"),
        };
    }

    static bool Descending(OrderModel order, string where) => (order.Order ?? "asc") switch
    {
        "asc" => false,
        "desc" => true,
        var other => throw new ImagePolicyException($"{where}.order '{other}' is not an order; use asc (the highest key wins) or desc (the lowest wins)"),
    };

    sealed class FileModel
    {
        public Dictionary<string, EntryModel?>? Environments { get; set; }
    }

    sealed class EntryModel
    {
        public string? Image { get; set; }
        public FilterModel? FilterTags { get; set; }
        public PolicyModel? Policy { get; set; }
    }

    sealed class FilterModel
    {
        public string? Pattern { get; set; }
        public string? Extract { get; set; }
    }

    sealed class PolicyModel
    {
        public SemverModel? Semver { get; set; }
        public OrderModel? Numerical { get; set; }
        public OrderModel? Alphabetical { get; set; }
    }

    sealed class SemverModel
    {
        public string? Range { get; set; }
        public bool IncludePrerelease { get; set; }
    }

    sealed class OrderModel
    {
        public string? Order { get; set; }
    }
}
