namespace Slipway.Build;

/// <summary>Marks a field or property filled from <c>--kebab-name</c>, UPPER_SNAKE or exact-name environment variables, then .nuke/parameters*.json.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class ParameterAttribute(string description = "") : Attribute
{
    public string Description { get; } = description;
}

/// <summary>The parameter's value is masked (<c>***</c>) in every log line, message and file the engine writes.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class SecretAttribute : Attribute;

/// <summary>The parameter must have a non-empty value before any target runs.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class RequiredAttribute : Attribute;
