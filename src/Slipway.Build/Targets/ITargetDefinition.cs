using System.Linq.Expressions;

namespace Slipway.Build;

/// <summary>The fluent modifiers of a target, as in Nuke.</summary>
public interface ITargetDefinition
{
    ITargetDefinition Description(string description);

    /// <summary>These targets run before this one and are added to the plan; their failure stops this one.</summary>
    ITargetDefinition DependsOn(params Target[] targets);

    /// <summary>When both are in the plan, this target runs after the given ones (no dependency added).</summary>
    ITargetDefinition After(params Target[] targets);

    /// <summary>When both are in the plan, this target runs before the given ones (no dependency added).</summary>
    ITargetDefinition Before(params Target[] targets);

    /// <summary>The given targets are added to the plan and run after this one.</summary>
    ITargetDefinition Triggers(params Target[] targets);

    /// <summary>This target is added to the plan (and runs after) whenever one of the given targets is in it.</summary>
    ITargetDefinition TriggeredBy(params Target[] targets);

    /// <summary>Evaluated before the run; when false the target is Skipped, and so are its dependencies unless another target needs them.</summary>
    ITargetDefinition OnlyWhenStatic(params Func<bool>[] conditions);

    /// <summary>Evaluated just before the target runs; when false the target is Skipped.</summary>
    ITargetDefinition OnlyWhenDynamic(params Func<bool>[] conditions);

    /// <summary>Values that must be set (not null, not empty) before anything runs; the error names the parameter.</summary>
    ITargetDefinition Requires(params Expression<Func<object?>>[] parameters);

    /// <summary>Conditions that must hold before anything runs; the error quotes the condition.</summary>
    ITargetDefinition Requires(params Expression<Func<bool>>[] conditions);

    /// <summary>A failure of this target fails the run but does not stop it: the targets after it, dependents included, still run.</summary>
    ITargetDefinition ProceedAfterFailure();

    /// <summary>This target runs even when an earlier target failed (cleanup, reports).</summary>
    ITargetDefinition AssuredAfterFailure();

    /// <summary>Hidden from --help.</summary>
    ITargetDefinition Unlisted();

    /// <summary>
    /// Files (or whole directories) whose contents this target reads. A target with declared inputs is incremental: when its
    /// inputs, input values, its dependencies' outputs and its own outputs are unchanged since its last success, it is not
    /// run but reported "up to date" (Gradle's up-to-date check). <c>--force</c> runs it anyway.
    /// </summary>
    ITargetDefinition Inputs(Func<IEnumerable<AbsolutePath>> files);

    /// <summary>Values the target's result depends on (parameters, versions, digests), compared as text between runs.</summary>
    ITargetDefinition InputValues(params Func<object?>[] values);

    /// <summary>An input value that takes work to find (a version from Git, a digest from a registry).</summary>
    ITargetDefinition InputValue(Func<Task<object?>> value);

    /// <summary>
    /// Files (or directories) the target produces: it is up to date only while they are as its last success left them,
    /// and targets that depend on it rerun when they change.
    /// </summary>
    ITargetDefinition Outputs(Func<IEnumerable<AbsolutePath>> files);

    /// <summary>A live check that must also hold for the target to be up to date (e.g. the registry still holds the image).</summary>
    ITargetDefinition UpToDateWhen(Func<Task<bool>> condition);

    /// <summary>Runs instead of the target's actions when it is up to date (e.g. to report the results its outputs hold).</summary>
    ITargetDefinition WhenUpToDate(Func<Task> action);

    ITargetDefinition Executes(Action action);

    ITargetDefinition Executes(Func<Task> action);
}
