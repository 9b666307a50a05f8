namespace Slipway.Build;

/// <summary>A target is declared as an instance property: <c>Target Compile => _ => _.DependsOn(Restore).Executes(...)</c>.</summary>
public delegate ITargetDefinition Target(ITargetDefinition _);
