using System.Linq.Expressions;

namespace Slipway.Build;

/// <summary>What a target's fluent declaration recorded; related targets are still delegates, resolved by the graph.</summary>
internal sealed class TargetDefinition : ITargetDefinition
{
    public string? DescriptionText { get; private set; }
    public List<Target> DependsOnTargets { get; } = [];
    public List<Target> AfterTargets { get; } = [];
    public List<Target> BeforeTargets { get; } = [];
    public List<Target> TriggersTargets { get; } = [];
    public List<Target> TriggeredByTargets { get; } = [];
    public List<Func<bool>> StaticConditions { get; } = [];
    public List<Func<bool>> DynamicConditions { get; } = [];
    public List<Expression<Func<object?>>> RequiredValues { get; } = [];
    public List<Expression<Func<bool>>> RequiredConditions { get; } = [];
    public bool IsProceedAfterFailure { get; private set; }
    public bool IsAssuredAfterFailure { get; private set; }
    public bool IsUnlisted { get; private set; }
    public List<Func<Task>> Actions { get; } = [];
    public List<Func<IEnumerable<AbsolutePath>>> InputFiles { get; } = [];
    public List<Func<Task<object?>>> InputValueSources { get; } = [];
    public List<Func<IEnumerable<AbsolutePath>>> OutputFiles { get; } = [];
    public List<Func<Task<bool>>> UpToDateConditions { get; } = [];
    public List<Func<Task>> UpToDateActions { get; } = [];

    /// <summary>Declared inputs make a target incremental.</summary>
    public bool IsIncremental => InputFiles.Count > 0 || InputValueSources.Count > 0;

    public ITargetDefinition Description(string description) { DescriptionText = description; return this; }
    public ITargetDefinition DependsOn(params Target[] targets) { DependsOnTargets.AddRange(targets); return this; }
    public ITargetDefinition After(params Target[] targets) { AfterTargets.AddRange(targets); return this; }
    public ITargetDefinition Before(params Target[] targets) { BeforeTargets.AddRange(targets); return this; }
    public ITargetDefinition Triggers(params Target[] targets) { TriggersTargets.AddRange(targets); return this; }
    public ITargetDefinition TriggeredBy(params Target[] targets) { TriggeredByTargets.AddRange(targets); return this; }
    public ITargetDefinition OnlyWhenStatic(params Func<bool>[] conditions) { StaticConditions.AddRange(conditions); return this; }
    public ITargetDefinition OnlyWhenDynamic(params Func<bool>[] conditions) { DynamicConditions.AddRange(conditions); return this; }
    public ITargetDefinition Requires(params Expression<Func<object?>>[] parameters) { RequiredValues.AddRange(parameters); return this; }
    public ITargetDefinition Requires(params Expression<Func<bool>>[] conditions) { RequiredConditions.AddRange(conditions); return this; }
    public ITargetDefinition ProceedAfterFailure() { IsProceedAfterFailure = true; return this; }
    public ITargetDefinition AssuredAfterFailure() { IsAssuredAfterFailure = true; return this; }
    public ITargetDefinition Unlisted() { IsUnlisted = true; return this; }

    public ITargetDefinition Inputs(Func<IEnumerable<AbsolutePath>> files) { InputFiles.Add(files); return this; }
    public ITargetDefinition InputValues(params Func<object?>[] values)
    {
        InputValueSources.AddRange(values.Select(value => (Func<Task<object?>>)(() => Task.FromResult(value()))));
        return this;
    }

    public ITargetDefinition InputValue(Func<Task<object?>> value) { InputValueSources.Add(value); return this; }
    public ITargetDefinition Outputs(Func<IEnumerable<AbsolutePath>> files) { OutputFiles.Add(files); return this; }
    public ITargetDefinition UpToDateWhen(Func<Task<bool>> condition) { UpToDateConditions.Add(condition); return this; }
    public ITargetDefinition WhenUpToDate(Func<Task> action) { UpToDateActions.Add(action); return this; }

    public ITargetDefinition Executes(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        Actions.Add(() => { action(); return Task.CompletedTask; });
        return this;
    }

    public ITargetDefinition Executes(Func<Task> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        Actions.Add(action);
        return this;
    }
}
