using System.Globalization;
using System.Text.Json.Nodes;

namespace Slipway.Delivery.SupplyChain;

/// <summary>What a build says about how it made an image: the facts SLSA provenance v1 records.</summary>
/// <param name="BuildType">URI naming the build's template, e.g. https://slipway.dev/build/pipeline/v1.</param>
/// <param name="BuilderId">URI of the builder (the CI workflow, or this machine's pipeline).</param>
/// <param name="RunId">The pipeline run id: metadata.invocationId.</param>
/// <param name="SourceRepository">The source repository's URL (without credentials).</param>
/// <param name="SourceCommit">The source commit's full SHA-1 (or SHA-256) hex.</param>
/// <param name="ExternalParameters">The build's parameters a user chose; secrets are dropped (see <see cref="SlsaProvenance.IsSecretName"/>).</param>
public sealed record BuildProvenance(
    string BuildType, string BuilderId, string RunId, string SourceRepository, string SourceCommit,
    IReadOnlyDictionary<string, string> ExternalParameters, DateTimeOffset? StartedOn = null, DateTimeOffset? FinishedOn = null);

/// <summary>
/// SLSA provenance v1 (slsa.dev/spec/v1.0/provenance) as an in-toto predicate: buildDefinition (buildType,
/// externalParameters without secrets, resolvedDependencies with the source commit) and runDetails (builder.id,
/// metadata.invocationId = run id). Attested under cosign's predicate type for <c>--type slsaprovenance1</c>.
/// </summary>
public static class SlsaProvenance
{
    public const string PredicateType = "https://slsa.dev/provenance/v1";

    private static readonly string[] SecretWords = ["password", "passwd", "token", "secret", "credential", "private", "apikey", "api-key", "api_key"];

    /// <summary>Whether a parameter's name says it holds a secret; such parameters never enter the provenance.</summary>
    public static bool IsSecretName(string name) => SecretWords.Any(word => name.Contains(word, StringComparison.OrdinalIgnoreCase));

    public static AttestationPredicate Create(BuildProvenance build)
    {
        ArgumentNullException.ThrowIfNull(build);
        var parameters = new JsonObject();
        foreach (var (name, value) in build.ExternalParameters.Where(pair => !IsSecretName(pair.Key)).OrderBy(pair => pair.Key, StringComparer.Ordinal))
            parameters[name] = value;
        parameters["source"] = build.SourceRepository;
        var metadata = new JsonObject { ["invocationId"] = build.RunId };
        if (build.StartedOn is { } started) metadata["startedOn"] = Timestamp(started);
        if (build.FinishedOn is { } finished) metadata["finishedOn"] = Timestamp(finished);
        var predicate = new JsonObject
        {
            ["buildDefinition"] = new JsonObject
            {
                ["buildType"] = build.BuildType,
                ["externalParameters"] = parameters,
                ["internalParameters"] = new JsonObject(),
                ["resolvedDependencies"] = new JsonArray(new JsonObject
                {
                    ["uri"] = "git+" + build.SourceRepository,
                    ["digest"] = new JsonObject { ["gitCommit"] = build.SourceCommit },
                }),
            },
            ["runDetails"] = new JsonObject
            {
                ["builder"] = new JsonObject { ["id"] = build.BuilderId },
                ["metadata"] = metadata,
            },
        };
        return new AttestationPredicate(PredicateType, predicate);
    }

    /// <summary>Reads the facts back from a predicate, requiring the fields SLSA v1 makes mandatory (buildType, externalParameters, builder.id).</summary>
    public static BuildProvenance Parse(JsonObject predicate)
    {
        var definition = predicate["buildDefinition"] as JsonObject ?? throw new FormatException("the provenance has no buildDefinition.");
        var buildType = Text(definition["buildType"]) ?? throw new FormatException("the provenance has no buildDefinition.buildType.");
        var external = definition["externalParameters"] as JsonObject ?? throw new FormatException("the provenance has no externalParameters.");
        var run = predicate["runDetails"] as JsonObject ?? throw new FormatException("the provenance has no runDetails.");
        var builderId = Text(run["builder"]?["id"]) ?? throw new FormatException("the provenance has no runDetails.builder.id.");
        var source = (definition["resolvedDependencies"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault();
        return new BuildProvenance(buildType, builderId, Text(run["metadata"]?["invocationId"]) ?? "",
            StripGitPrefix(Text(source?["uri"]) ?? ""), Text(source?["digest"]?["gitCommit"]) ?? "",
            external.Where(pair => pair.Key != "source").ToDictionary(pair => pair.Key, pair => Text(pair.Value) ?? pair.Value?.ToJsonString() ?? ""),
            Time(run["metadata"]?["startedOn"]), Time(run["metadata"]?["finishedOn"]));
    }

    private static string StripGitPrefix(string uri) => uri.StartsWith("git+", StringComparison.Ordinal) ? uri[4..] : uri;

    private static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset? Time(JsonNode? node) =>
        Text(node) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
