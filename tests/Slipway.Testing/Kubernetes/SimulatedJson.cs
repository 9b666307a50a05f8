using System.Globalization;
using System.Text.Json.Nodes;

namespace Slipway.Testing.Kubernetes;

internal static class SimulatedJson
{
    /// <summary>An integer field, whatever CLR type backs the node (parsed JSON, YAML-resolved long, or an int set in code).</summary>
    public static long? Number(JsonNode? node) =>
        node is JsonValue value && long.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? number
            : null;
}
