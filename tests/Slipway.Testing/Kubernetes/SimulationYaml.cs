using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Slipway.Testing.Kubernetes;

/// <summary>Reads an apply-patch+yaml body (YAML, of which JSON is a subset) into JSON, resolving plain scalars by the YAML core schema.</summary>
internal static class SimulationYaml
{
    public static JsonObject ParseObject(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException exception)
        {
            throw new SimulatedApiException(400, "BadRequest", $"error decoding YAML: {exception.Message}");
        }
        if (stream.Documents.Count != 1 || Convert(stream.Documents[0].RootNode) is not JsonObject body)
            throw new SimulatedApiException(400, "BadRequest", "the apply body must be exactly one YAML/JSON object");
        return body;
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new JsonObject(mapping.Children.Select(pair =>
            KeyValuePair.Create(((YamlScalarNode)pair.Key).Value ?? "", Convert(pair.Value)))),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(Convert).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new SimulatedApiException(400, "BadRequest", "unsupported YAML node (aliases are not accepted)"),
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
            return JsonValue.Create(value);
        if (value is "" or "~" or "null" or "Null" or "NULL") return null;
        if (value is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (value is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)) return JsonValue.Create(integer);
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && value.Any(char.IsDigit)) return JsonValue.Create(number);
        return JsonValue.Create(value);
    }
}
