using System.Text.Json.Nodes;

namespace Slipway.Testing.Kubernetes;

/// <summary>The SIMULATION's label and field selectors: equality-based only (k=v, k==v, k!=v, k, !k); set-based ones are refused.</summary>
internal sealed class SimulatedSelector
{
    private readonly List<Func<JsonObject, bool>> _tests = [];

    private SimulatedSelector() { }

    public bool Matches(JsonObject item) => _tests.All(test => test(item));

    public static SimulatedSelector Parse(string? labelSelector, string? fieldSelector)
    {
        var selector = new SimulatedSelector();
        foreach (var term in Terms(labelSelector))
        {
            if (term.Contains(" in ", StringComparison.Ordinal) || term.Contains("notin", StringComparison.Ordinal) || term.Contains('('))
                throw new SimulatedApiException(400, "BadRequest", $"the simulation supports equality-based label selectors only, not '{term}'");
            if (TrySplit(term, "!=", out var key, out var value))
                selector._tests.Add(item => Label(item, key) != value);
            else if (TrySplit(term, "==", out key, out value) || TrySplit(term, "=", out key, out value))
                selector._tests.Add(item => Label(item, key) == value);
            else if (term.StartsWith('!'))
                selector._tests.Add(item => Label(item, term[1..]) is null);
            else
                selector._tests.Add(item => Label(item, term) is not null);
        }
        foreach (var term in Terms(fieldSelector))
        {
            if (!TrySplit(term, "==", out var field, out var value) && !TrySplit(term, "=", out field, out value))
                throw new SimulatedApiException(400, "BadRequest", $"field selector '{term}' is not field=value");
            var name = field switch
            {
                "metadata.name" => "name",
                "metadata.namespace" => "namespace",
                _ => throw new SimulatedApiException(400, "BadRequest", $"field label not supported: {field}"),
            };
            selector._tests.Add(item => item["metadata"]?[name]?.GetValue<string>() == value);
        }
        return selector;
    }

    private static IEnumerable<string> Terms(string? text) =>
        string.IsNullOrWhiteSpace(text) ? [] : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static bool TrySplit(string term, string op, out string key, out string value)
    {
        var index = term.IndexOf(op, StringComparison.Ordinal);
        key = index < 0 ? "" : term[..index].Trim();
        value = index < 0 ? "" : term[(index + op.Length)..].Trim();
        return index > 0;
    }

    private static string? Label(JsonObject item, string key) => item["metadata"]?["labels"]?[key]?.GetValue<string>();
}

/// <summary>An API error the SIMULATION answers with a Status object, as the real API server does.</summary>
internal sealed class SimulatedApiException(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;

    public JsonObject Status() => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = Message,
        ["reason"] = reason,
        ["details"] = details,
        ["code"] = Code,
    };
}
