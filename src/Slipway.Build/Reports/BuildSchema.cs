using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Build;

/// <summary>.nuke/build.schema.json: a JSON Schema (draft-07) of the parameters and target names, so IDEs complete parameters.json.</summary>
internal static class BuildSchema
{
    public const string RelativePath = ".nuke/build.schema.json";

    public static string Generate(TargetGraph graph, IReadOnlyList<ParameterMember> parameters)
    {
        var targetNames = new JsonArray(graph.Nodes.Select(n => (JsonNode)JsonValue.Create(n.Name)!).ToArray());
        JsonObject TargetList(string description) => new()
        {
            ["type"] = "array",
            ["description"] = description,
            ["items"] = new JsonObject { ["type"] = "string", ["enum"] = targetNames.DeepClone() },
        };

        var properties = new JsonObject { ["$schema"] = new JsonObject { ["type"] = "string" } };
        foreach (var parameter in parameters)
        {
            properties[parameter.Name] = Describe(parameter);
        }
        properties["Target"] = TargetList("Targets to run when none is given on the command line");
        properties["Skip"] = TargetList("Targets to skip; an empty list skips all but the invoked ones");
        properties["Verbosity"] = new JsonObject
        {
            ["type"] = "string",
            ["description"] = "How much to log",
            ["enum"] = new JsonArray(Enum.GetNames<BuildVerbosity>().Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()),
        };
        properties["Continue"] = new JsonObject { ["type"] = "boolean", ["description"] = "After a failure, still run the targets that do not depend on it" };
        properties["Parallel"] = new JsonObject { ["type"] = "boolean", ["description"] = "Run independent targets concurrently" };

        var schema = new JsonObject
        {
            ["$schema"] = "http://json-schema.org/draft-07/schema#",
            ["title"] = "Build Schema",
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["properties"] = properties,
        };
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true }).ReplaceLineEndings("\n") + "\n";
    }

    private static JsonObject Describe(ParameterMember parameter)
    {
        var type = parameter.ValueType;
        var description = parameter.Description + (parameter.IsSecret ? " (secret)" : "");
        var property = new JsonObject();
        if (type == typeof(bool))
        {
            property["type"] = "boolean";
        }
        else if (type == typeof(int))
        {
            property["type"] = "integer";
        }
        else if (type == typeof(string[]))
        {
            property["type"] = "array";
            property["items"] = new JsonObject { ["type"] = "string" };
        }
        else if (type.IsEnum)
        {
            property["type"] = "string";
            property["enum"] = new JsonArray(Enum.GetNames(type).Select(n => (JsonNode)JsonValue.Create(n)!).ToArray());
        }
        else
        {
            property["type"] = "string";
        }
        property["description"] = description;
        return property;
    }

    /// <summary>Equal up to line endings and trailing whitespace, so an editor's final newline does not make the schema stale.</summary>
    public static bool SameContent(string committed, string generated) =>
        committed.ReplaceLineEndings("\n").TrimEnd() == generated.ReplaceLineEndings("\n").TrimEnd();
}
