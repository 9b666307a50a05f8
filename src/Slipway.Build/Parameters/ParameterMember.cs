using System.Reflection;
using System.Text;

namespace Slipway.Build;

/// <summary>A [Parameter] field or property of a build class: its names in each source and how to set it.</summary>
internal sealed class ParameterMember
{
    private readonly MemberInfo _member;

    private ParameterMember(MemberInfo member, Type type, ParameterAttribute attribute)
    {
        _member = member;
        Type = type;
        Description = attribute.Description;
        IsSecret = member.IsDefined(typeof(SecretAttribute));
        IsRequired = member.IsDefined(typeof(RequiredAttribute));
        OptionName = ToKebab(member.Name);
        EnvironmentName = ToUpperSnake(member.Name);
    }

    public string Name => _member.Name;
    public Type Type { get; }

    /// <summary>The type without Nullable&lt;&gt;.</summary>
    public Type ValueType => Nullable.GetUnderlyingType(Type) ?? Type;

    public string Description { get; }
    public bool IsSecret { get; }
    public bool IsRequired { get; }

    /// <summary>Kebab-case option name without the dashes: RegistryPassword -> registry-password.</summary>
    public string OptionName { get; }

    /// <summary>UPPER_SNAKE environment variable: RegistryPassword -> REGISTRY_PASSWORD.</summary>
    public string EnvironmentName { get; }

    public OptionArity Arity => ValueType == typeof(bool) ? OptionArity.Flag : ValueType == typeof(string[]) ? OptionArity.Many : OptionArity.Single;

    public object? GetValue(object build) => _member switch
    {
        FieldInfo field => field.GetValue(build),
        PropertyInfo property => property.GetValue(build),
        _ => null,
    };

    public void SetValue(object build, object? value)
    {
        switch (_member)
        {
            case FieldInfo field:
                field.SetValue(build, value); // readonly fields too: the initializer is the default, the sources override it
                break;
            case PropertyInfo { CanWrite: true } property:
                property.SetValue(build, value);
                break;
            case PropertyInfo property:
                var backing = property.DeclaringType!.GetField($"<{property.Name}>k__BackingField", BindingFlags.Instance | BindingFlags.NonPublic)
                    ?? throw new BuildConfigurationException($"Parameter '{property.Name}' is a property without a setter or auto-property backing field; give it a setter (private is fine).");
                backing.SetValue(build, value);
                break;
        }
    }

    public static IReadOnlyList<ParameterMember> Discover(Type buildType)
    {
        var hierarchy = new List<Type>();
        for (var current = buildType; current is not null && current != typeof(object); current = current.BaseType)
        {
            hierarchy.Insert(0, current);
        }

        const BindingFlags flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        var members = hierarchy
            .SelectMany(t => t.GetMembers(flags).Where(m => m is FieldInfo or PropertyInfo).OrderBy(m => m.MetadataToken))
            .Select(m => (Member: m, Attribute: m.GetCustomAttribute<ParameterAttribute>()))
            .Where(m => m.Attribute is not null)
            .Select(m => new ParameterMember(m.Member, m.Member is FieldInfo f ? f.FieldType : ((PropertyInfo)m.Member).PropertyType, m.Attribute!))
            .ToList();

        foreach (var member in members.Where(m => !ParameterConverter.IsSupported(m.ValueType)))
        {
            throw new BuildConfigurationException(
                $"Parameter '{member.Name}' has type {member.Type.Name}; supported are string, bool, int, enums, string[] and AbsolutePath (nullable allowed).");
        }
        return members;
    }

    public static string ToKebab(string name) => Split(name, '-').ToLowerInvariant();

    public static string ToUpperSnake(string name) => Split(name, '_').ToUpperInvariant();

    // Word boundaries: lower/digit -> Upper (registryPassword), and the last capital of an acronym (HTTPPort -> HTTP_Port).
    private static string Split(string name, char separator)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c == '_')
            {
                builder.Append(separator);
                continue;
            }
            if (i > 0 && char.IsUpper(c) && name[i - 1] != '_' &&
                (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1]))))
            {
                builder.Append(separator);
            }
            builder.Append(c);
        }
        return builder.ToString();
    }
}
