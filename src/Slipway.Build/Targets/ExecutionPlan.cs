namespace Slipway.Build;

/// <summary>The targets a run executes, in a deterministic topological order (ties by declaration order).</summary>
internal sealed class ExecutionPlan
{
    private ExecutionPlan(IReadOnlyList<TargetNode> invoked, IReadOnlyList<TargetNode> order)
    {
        Invoked = invoked;
        Order = order;
    }

    public IReadOnlyList<TargetNode> Invoked { get; }
    public IReadOnlyList<TargetNode> Order { get; }

    public bool Contains(TargetNode node) => Order.Contains(node);

    /// <summary>Predecessors of <paramref name="node"/> within the plan.</summary>
    public IEnumerable<TargetNode> PredecessorsOf(TargetNode node) => node.RunsAfter.Where(Contains);

    public static ExecutionPlan Create(IReadOnlyList<TargetNode> invoked)
    {
        // Closure: the invoked targets, their dependencies and the targets they trigger, transitively.
        var included = new HashSet<TargetNode>();
        var pending = new Queue<TargetNode>(invoked);
        while (pending.TryDequeue(out var node))
        {
            if (included.Add(node))
            {
                foreach (var next in node.DependsOn.Concat(node.Triggers))
                {
                    pending.Enqueue(next);
                }
            }
        }

        // Kahn's algorithm, always taking the ready target declared first. The graph is acyclic (checked at discovery).
        var order = new List<TargetNode>();
        var remaining = included.OrderBy(n => n.Index).ToList();
        while (remaining.Count > 0)
        {
            var next = remaining.First(n => n.RunsAfter.All(p => !included.Contains(p) || order.Contains(p)));
            order.Add(next);
            remaining.Remove(next);
        }
        return new ExecutionPlan(invoked, order);
    }
}
