namespace Slipway.Build;

/// <summary>The --help text: targets (description, dependencies, default marked), parameters, engine options.</summary>
internal static class HelpText
{
    public static IEnumerable<string> Render(SlipwayBuild build, TargetGraph graph, IReadOnlyList<ParameterMember> parameters, string? defaultTarget)
    {
        yield return "Usage: ./build.sh [<target>...] [--<parameter> <value>...] [options]";
        yield return "";
        yield return "Targets (* = default):";
        var listed = graph.Nodes.Where(n => !n.Definition.IsUnlisted).ToList();
        var nameWidth = listed.Select(n => n.Name.Length + 2).DefaultIfEmpty(0).Max();
        foreach (var node in listed)
        {
            var isDefault = node.Name.Equals(defaultTarget, StringComparison.OrdinalIgnoreCase);
            var name = (node.Name + (isDefault ? " *" : "")).PadRight(nameWidth);
            var description = node.Definition.DescriptionText ?? "";
            var dependencies = node.DependsOn.Count > 0 ? $" (depends on {string.Join(", ", node.DependsOn.Select(d => d.Name))})" : "";
            yield return $"  {name}  {description}{dependencies}".TrimEnd();
        }

        yield return "";
        yield return "Parameters (command line, then environment variable, then .nuke/parameters.json):";
        var usages = parameters.Select(p => (Parameter: p, Usage: $"--{p.OptionName} {Placeholder(p)}".TrimEnd())).ToList();
        var usageWidth = usages.Select(u => u.Usage.Length).DefaultIfEmpty(0).Max();
        foreach (var (parameter, usage) in usages)
        {
            var notes = new List<string> { $"env {parameter.EnvironmentName}" };
            if (parameter.IsRequired)
            {
                notes.Add("required");
            }
            if (parameter.IsSecret)
            {
                notes.Add("secret");
            }
            else if (DefaultText(parameter.GetValue(build)) is { } defaultValue)
            {
                notes.Add($"default {defaultValue}");
            }
            yield return $"  {usage.PadRight(usageWidth)}  {parameter.Description} [{string.Join(", ", notes)}]";
        }
        if (parameters.Count == 0)
        {
            yield return "  (none)";
        }

        yield return "";
        yield return "Options:";
        var optionWidth = EngineOptions.HelpLines.Max(o => o.Usage.Length);
        foreach (var (usage, description) in EngineOptions.HelpLines)
        {
            yield return $"  {usage.PadRight(optionWidth)}  {description}";
        }
    }

    private static string Placeholder(ParameterMember parameter)
    {
        var type = parameter.ValueType;
        return type == typeof(bool) ? "[true|false]"
            : type.IsEnum ? $"<{string.Join("|", Enum.GetNames(type))}>"
            : type == typeof(string[]) ? "<value>..."
            : type == typeof(int) ? "<number>"
            : type == typeof(AbsolutePath) ? "<path>"
            : "<value>";
    }

    private static string? DefaultText(object? value) => value switch
    {
        null => null,
        string text when text.Length == 0 => null,
        string[] texts => texts.Length == 0 ? null : string.Join(" ", texts),
        bool flag => flag ? "true" : null,
        _ => value.ToString(),
    };
}
