using System.Reflection;

namespace Slipway.Build;

/// <summary>Every target of a build class, discovered by reflection in declaration order, with relations resolved and checked.</summary>
internal sealed class TargetGraph
{
    private TargetGraph(IReadOnlyList<TargetNode> nodes) => Nodes = nodes;

    public IReadOnlyList<TargetNode> Nodes { get; }

    public TargetNode? Find(string name) =>
        Nodes.FirstOrDefault(n => n.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    public static TargetGraph Discover(SlipwayBuild build)
    {
        var properties = TargetProperties(build.GetType());
        if (properties.Count == 0)
        {
            throw new BuildConfigurationException($"{build.GetType().Name} declares no targets: add a property such as `Target Compile => _ => _.Executes(() => ...);`.");
        }

        // A target property returns a new delegate on each read, but delegates of the same lambda on the same
        // instance are Equal (same method and target), which is how DependsOn(Restore) is matched to Restore.
        var delegates = properties.Select(p => (Target)p.GetValue(build)!).ToList();
        var nodes = properties.Select((p, i) =>
        {
            var definition = new TargetDefinition();
            try
            {
                delegates[i](definition);
            }
            catch (Exception exception) when (exception is not BuildConfigurationException)
            {
                throw new BuildConfigurationException($"Target '{p.Name}' could not be declared: {exception.Message}");
            }
            return new TargetNode(p.Name, i, definition);
        }).ToList();

        TargetNode Resolve(TargetNode owner, Target reference, string modifier)
        {
            var index = delegates.FindIndex(d => d.Equals(reference));
            return index >= 0
                ? nodes[index]
                : throw new BuildConfigurationException($"Target '{owner.Name}' refers in {modifier} to a target that is not a Target property of {build.GetType().Name}.");
        }

        foreach (var node in nodes)
        {
            var definition = node.Definition;
            foreach (var dependency in definition.DependsOnTargets.Select(t => Resolve(node, t, nameof(ITargetDefinition.DependsOn))))
            {
                AddOnce(node.DependsOn, dependency);
                AddOnce(node.RunsAfter, dependency);
            }
            foreach (var earlier in definition.AfterTargets.Select(t => Resolve(node, t, nameof(ITargetDefinition.After))))
            {
                AddOnce(node.RunsAfter, earlier);
                AddOnce(node.OrderedAfter, earlier);
            }
            foreach (var later in definition.BeforeTargets.Select(t => Resolve(node, t, nameof(ITargetDefinition.Before))))
            {
                AddOnce(later.RunsAfter, node);
                AddOnce(later.OrderedAfter, node);
            }
            foreach (var triggered in definition.TriggersTargets.Select(t => Resolve(node, t, nameof(ITargetDefinition.Triggers))))
            {
                AddOnce(node.Triggers, triggered);
                AddOnce(triggered.RunsAfter, node);
            }
            foreach (var trigger in definition.TriggeredByTargets.Select(t => Resolve(node, t, nameof(ITargetDefinition.TriggeredBy))))
            {
                AddOnce(trigger.Triggers, node);
                AddOnce(node.RunsAfter, trigger);
            }
        }

        ThrowOnCycle(nodes);
        return new TargetGraph(nodes);
    }

    private static List<PropertyInfo> TargetProperties(Type type)
    {
        // Base classes first, each in metadata order: deterministic and the order the author wrote.
        var hierarchy = new List<Type>();
        for (var current = type; current is not null && current != typeof(SlipwayBuild); current = current.BaseType)
        {
            hierarchy.Insert(0, current);
        }
        return hierarchy
            .SelectMany(t => t.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .Where(p => p.PropertyType == typeof(Target) && p.GetIndexParameters().Length == 0)
                .OrderBy(p => p.MetadataToken))
            .ToList();
    }

    private static void ThrowOnCycle(IReadOnlyList<TargetNode> nodes)
    {
        var state = new Dictionary<TargetNode, int>(); // 1 = on the current path, 2 = done
        var path = new List<TargetNode>();

        bool Visit(TargetNode node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var before in node.RunsAfter)
            {
                if (state.GetValueOrDefault(before) == 1)
                {
                    // Path runs from a target to what must come before it; reverse it to read in execution order.
                    var cycle = path.Skip(path.IndexOf(before)).Reverse().Prepend(before).Select(n => n.Name);
                    throw new BuildConfigurationException(
                        $"The targets form a cycle: {string.Join(" -> ", cycle)}. Remove one of the DependsOn/After/Before/Triggers relations between them.");
                }
                if (state.GetValueOrDefault(before) == 0 && Visit(before))
                {
                    return true;
                }
            }
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return false;
        }

        foreach (var node in nodes.Where(n => !state.ContainsKey(n)))
        {
            Visit(node);
        }
    }

    private static void AddOnce(List<TargetNode> list, TargetNode node)
    {
        if (!list.Contains(node))
        {
            list.Add(node);
        }
    }
}
