using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Delivery.SupplyChain;

/// <summary>A subject of a statement: an artifact's name and its digests by algorithm (here: sha256 hex of the image manifest).</summary>
public sealed record InTotoSubject(string Name, IReadOnlyDictionary<string, string> Digest);

/// <summary>What an attestation says about its subject: the predicate's type URI and its JSON body.</summary>
public sealed record AttestationPredicate(string PredicateType, JsonObject Body);

/// <summary>
/// An in-toto Statement v1 (in-toto/attestation spec/v1/statement.md):
/// <c>{"_type":"https://in-toto.io/Statement/v1","subject":[{"name","digest":{"sha256"}}],"predicateType","predicate"}</c>.
/// </summary>
public sealed record InTotoStatement(IReadOnlyList<InTotoSubject> Subjects, string PredicateType, JsonObject Predicate)
{
    public const string StatementType = "https://in-toto.io/Statement/v1";

    private static readonly JsonSerializerOptions SerializerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A statement about one image: subject = the repository as cosign names it and the manifest's sha256.</summary>
    public static InTotoStatement About(string repositoryIdentity, string manifestDigest, AttestationPredicate predicate) =>
        new([new InTotoSubject(repositoryIdentity, new Dictionary<string, string> { ["sha256"] = Oci.Sha256Digest.Hex(manifestDigest) })],
            predicate.PredicateType, predicate.Body);

    public bool HasSubjectDigest(string manifestDigest) =>
        Subjects.Any(subject => subject.Digest.TryGetValue("sha256", out var hex) && "sha256:" + hex == manifestDigest);

    public byte[] ToBytes()
    {
        var subjects = new JsonArray();
        foreach (var subject in Subjects)
        {
            var digest = new JsonObject();
            foreach (var (algorithm, value) in subject.Digest.OrderBy(pair => pair.Key, StringComparer.Ordinal)) digest[algorithm] = value;
            subjects.Add(new JsonObject { ["name"] = subject.Name, ["digest"] = digest });
        }
        var statement = new JsonObject
        {
            ["_type"] = StatementType,
            ["subject"] = subjects,
            ["predicateType"] = PredicateType,
            ["predicate"] = Predicate.DeepClone(),
        };
        return JsonSerializer.SerializeToUtf8Bytes(statement, SerializerOptions);
    }

    /// <summary>Reads a statement, requiring the v1 (or cosign's older v0.1) _type, at least one subject, a predicateType and a predicate object.</summary>
    public static InTotoStatement Parse(ReadOnlySpan<byte> json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException exception)
        {
            throw new FormatException($"the statement is not JSON ({exception.Message}).", exception);
        }
        if (node is not JsonObject root) throw new FormatException("the statement is not a JSON object.");
        try
        {
            return Read(root);
        }
        catch (InvalidOperationException exception)
        {
            throw new FormatException($"the statement has a field of the wrong kind ({exception.Message}).", exception);
        }
    }

    private static InTotoStatement Read(JsonObject root)
    {
        var type = (root["_type"] as JsonValue)?.GetValue<string>();
        if (type is not (StatementType or "https://in-toto.io/Statement/v0.1"))
            throw new FormatException($"the statement's _type is '{type}', not {StatementType}.");
        if (root["subject"] is not JsonArray { Count: > 0 } subjectArray)
            throw new FormatException("the statement has no subject.");
        var subjects = subjectArray.Select((subject, index) =>
        {
            if (subject is not JsonObject entry || entry["digest"] is not JsonObject digest)
                throw new FormatException($"the statement's subject {index} has no digest.");
            return new InTotoSubject((entry["name"] as JsonValue)?.GetValue<string>() ?? "",
                digest.ToDictionary(pair => pair.Key, pair => (pair.Value as JsonValue)?.GetValue<string>() ?? ""));
        }).ToList();
        var predicateType = (root["predicateType"] as JsonValue)?.GetValue<string>()
            ?? throw new FormatException("the statement has no predicateType.");
        if (root["predicate"] is not JsonObject predicate) throw new FormatException("the statement has no predicate object.");
        return new InTotoStatement(subjects, predicateType, (JsonObject)predicate.DeepClone());
    }
}
