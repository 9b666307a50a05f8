namespace Slipway.Build;

/// <summary>A target with its relations resolved to other nodes.</summary>
internal sealed class TargetNode(string name, int index, TargetDefinition definition)
{
    public string Name { get; } = name;

    /// <summary>Position in declaration (metadata) order; breaks ties in the plan.</summary>
    public int Index { get; } = index;

    public TargetDefinition Definition { get; } = definition;
    public List<TargetNode> DependsOn { get; } = [];

    /// <summary>Targets this one triggers, from its own Triggers and from the others' TriggeredBy.</summary>
    public List<TargetNode> Triggers { get; } = [];

    /// <summary>Targets that must come first when both are planned: dependencies, After, the others' Before, triggerers.</summary>
    public List<TargetNode> RunsAfter { get; } = [];

    /// <summary>Predecessors from After/Before only (drawn dotted in the plan graph).</summary>
    public List<TargetNode> OrderedAfter { get; } = [];

    public override string ToString() => Name;
}
