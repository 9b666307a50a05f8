namespace Slipway.Build;

internal enum OptionArity
{
    /// <summary>Bare means true; may be followed by true/false.</summary>
    Flag,

    /// <summary>Exactly one value.</summary>
    Single,

    /// <summary>Every following value up to the next option; repeating the option appends.</summary>
    Many,
}

internal sealed record OptionSpec(string Name, OptionArity Arity);

/// <summary>Arguments split into target names and options, matched against the known options.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);

    public List<string> Targets { get; } = [];

    public bool Has(string name) => _options.ContainsKey(name);

    /// <summary>The values given to an option (empty for a bare flag or list), or null when absent.</summary>
    public IReadOnlyList<string>? Values(string name) => _options.TryGetValue(name, out var values) ? values : null;

    /// <summary>Options are matched ignoring case, dashes and underscores, so --registry-password, --RegistryPassword and --registry_password agree.</summary>
    public static string MatchKey(string name) => new(name.Where(c => c is not ('-' or '_')).Select(char.ToLowerInvariant).ToArray());

    public static CommandLine Parse(IReadOnlyList<string> arguments, IReadOnlyCollection<OptionSpec> specs)
    {
        var byKey = specs.ToDictionary(s => MatchKey(s.Name));
        var result = new CommandLine();
        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            if (argument is "-h" or "-?")
            {
                argument = "--help";
            }
            if (!argument.StartsWith("--", StringComparison.Ordinal) || argument.Length == 2)
            {
                result.Targets.Add(argument);
                continue;
            }

            var name = argument[2..];
            string? inlineValue = null;
            if (name.IndexOf('=') is var equals and > 0)
            {
                inlineValue = name[(equals + 1)..];
                name = name[..equals];
            }
            if (!byKey.TryGetValue(MatchKey(name), out var spec))
            {
                var closest = Closest(name, specs.Select(s => s.Name));
                throw new BuildConfigurationException(
                    $"Unknown option '--{name}'." + (closest is null ? "" : $" Did you mean '--{closest}'?") + " Run with --help to list the options.");
            }

            var values = result._options.TryGetValue(spec.Name, out var existing) ? existing : result._options[spec.Name] = [];
            bool IsValue(int index) => index < arguments.Count && !arguments[index].StartsWith("--", StringComparison.Ordinal);
            switch (spec.Arity)
            {
                case OptionArity.Flag:
                    if (inlineValue is not null)
                    {
                        values.Add(inlineValue);
                    }
                    else if (IsValue(i + 1) && bool.TryParse(arguments[i + 1], out _))
                    {
                        values.Add(arguments[++i]);
                    }
                    break;
                case OptionArity.Single:
                    if (inlineValue is not null)
                    {
                        values.Add(inlineValue);
                    }
                    else if (IsValue(i + 1))
                    {
                        values.Add(arguments[++i]);
                    }
                    else
                    {
                        throw new BuildConfigurationException($"Option '--{spec.Name}' needs a value: --{spec.Name} <value>.");
                    }
                    break;
                case OptionArity.Many:
                    if (inlineValue is not null)
                    {
                        values.Add(inlineValue);
                    }
                    while (inlineValue is null && IsValue(i + 1))
                    {
                        values.Add(arguments[++i]);
                    }
                    break;
            }
        }
        return result;
    }

    /// <summary>The candidate closest to <paramref name="name"/> by edit distance, when it is close enough to be a typo.</summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        var key = MatchKey(name);
        return candidates
            .Select(c => (Candidate: c, Distance: EditDistance(key, MatchKey(c))))
            .Where(c => c.Distance <= Math.Max(2, key.Length / 3))
            .OrderBy(c => c.Distance)
            .Select(c => c.Candidate)
            .FirstOrDefault();
    }

    private static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            previous = current;
        }
        return previous[b.Length];
    }
}
