using System.Globalization;
using System.Text.Json.Nodes;

namespace Slipway.Build;

/// <summary>Turns text from the command line, environment or parameters.json into a parameter's type, or says why it cannot.</summary>
internal static class ParameterConverter
{
    public static bool IsSupported(Type type) =>
        type == typeof(string) || type == typeof(bool) || type == typeof(int) || type.IsEnum || type == typeof(string[]) || type == typeof(AbsolutePath);

    /// <summary>What the type accepts, for error messages and help.</summary>
    public static string Describe(Type type) =>
        type == typeof(bool) ? "a boolean (true or false)"
        : type == typeof(int) ? "an integer"
        : type.IsEnum ? $"one of {string.Join(", ", Enum.GetNames(type))}"
        : type == typeof(string[]) ? "a list of strings"
        : type == typeof(AbsolutePath) ? "a path"
        : "a string";

    public static object? FromStrings(ParameterMember parameter, IReadOnlyList<string> values, string source, AbsolutePath root)
    {
        var type = parameter.ValueType;
        if (type == typeof(string[]))
        {
            return values.ToArray();
        }
        if (type == typeof(bool) && values.Count == 0)
        {
            return true; // a bare flag
        }
        if (values.Count != 1)
        {
            throw Invalid(parameter, string.Join(" ", values), source);
        }
        return FromString(parameter, values[0], source, root);
    }

    public static object? FromJson(ParameterMember parameter, JsonNode? node, string source, AbsolutePath root)
    {
        if (node is null)
        {
            return null;
        }
        if (node is JsonArray array)
        {
            if (parameter.ValueType != typeof(string[]))
            {
                throw Invalid(parameter, node.ToJsonString(), source);
            }
            return array.Select(item => item is JsonValue value ? value.ToString() : throw Invalid(parameter, node.ToJsonString(), source)).ToArray();
        }
        if (node is not JsonValue scalar)
        {
            throw Invalid(parameter, node.ToJsonString(), source);
        }
        return parameter.ValueType == typeof(string[])
            ? scalar.ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : FromString(parameter, scalar.ToString(), source, root);
    }

    private static object FromString(ParameterMember parameter, string value, string source, AbsolutePath root)
    {
        var type = parameter.ValueType;
        if (type == typeof(string))
        {
            return value;
        }
        if (type == typeof(bool))
        {
            return bool.TryParse(value, out var flag) ? flag : throw Invalid(parameter, value, source);
        }
        if (type == typeof(int))
        {
            return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : throw Invalid(parameter, value, source);
        }
        if (type.IsEnum)
        {
            // Names only, ignoring case; numbers are refused so a typo like "1" cannot select a value silently.
            var name = Enum.GetNames(type).FirstOrDefault(n => n.Equals(value.Trim(), StringComparison.OrdinalIgnoreCase));
            return name is not null ? Enum.Parse(type, name) : throw Invalid(parameter, value, source);
        }
        if (type == typeof(string[]))
        {
            return value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        if (type == typeof(AbsolutePath))
        {
            return string.IsNullOrWhiteSpace(value) ? throw Invalid(parameter, value, source) : AbsolutePath.Resolve(root, value);
        }
        throw new BuildConfigurationException($"Parameter '{parameter.Name}' has unsupported type {type.Name}.");
    }

    private static BuildConfigurationException Invalid(ParameterMember parameter, string value, string source)
    {
        var shown = parameter.IsSecret ? "a value (hidden: the parameter is secret)" : $"'{value}'";
        return new BuildConfigurationException(
            $"Parameter '{parameter.Name}' got {shown} from {source}, but it expects {Describe(parameter.ValueType)}.");
    }
}
