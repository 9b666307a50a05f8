using System.Diagnostics;
using Serilog;

namespace Slipway.Build;

/// <param name="Forced">--force: null when not given, empty for every incremental target, else the named ones.</param>
/// <param name="RootDirectory">Where the incremental targets' records live (.nuke/temp/up-to-date/).</param>
internal sealed record ExecutionOptions(bool Continue, bool Parallel, int MaxParallelism, BuildVerbosity Verbosity, TimeSpan ProgressInterval,
    IReadOnlySet<string>? Forced, AbsolutePath RootDirectory)
{
    public bool IsForced(string target) => Forced is { } forced && (forced.Count == 0 || forced.Contains(target));
}

/// <summary>
/// Runs a plan: each target is decided (skipped, not run, or executed) when its predecessors are done.
/// Sequential by default; with --parallel independent targets overlap and each target's log is written in one piece.
/// </summary>
internal sealed class TargetExecutor(
    ExecutionPlan plan,
    IReadOnlyDictionary<TargetNode, string> presetSkips,
    RunOutput output,
    ILogger log,
    CiLogMarkers markers,
    ExecutionOptions options,
    CancellationToken cancellationToken)
{
    private readonly object _lock = new();
    private readonly Dictionary<TargetNode, TargetResult> _results = [];
    private readonly List<string> _executed = [];
    private readonly UpToDateCheck _upToDate = new(options.RootDirectory, output.Masker);

    /// <summary>A failure happened in a target without ProceedAfterFailure: later targets are NotRun unless --continue.</summary>
    private bool _stopped;

    public bool AnyFailed { get; private set; }

    public IReadOnlyList<string> Executed
    {
        get
        {
            lock (_lock)
            {
                return _executed.ToList();
            }
        }
    }

    public IReadOnlyList<TargetResult> ResultsSoFar()
    {
        lock (_lock)
        {
            return plan.Order.Where(_results.ContainsKey).Select(n => _results[n]).ToList();
        }
    }

    public async Task RunAsync()
    {
        if (!options.Parallel)
        {
            foreach (var node in plan.Order)
            {
                await RunTargetAsync(node, buffered: false);
            }
            return;
        }

        using var slots = new SemaphoreSlim(Math.Max(1, options.MaxParallelism));
        var tasks = new Dictionary<TargetNode, Task>();
        foreach (var node in plan.Order)
        {
            // Predecessors come earlier in the order, so their tasks exist already.
            var predecessors = plan.PredecessorsOf(node).Select(p => tasks[p]).ToArray();
            tasks[node] = Task.Run(async () =>
            {
                await Task.WhenAll(predecessors);
                await slots.WaitAsync(CancellationToken.None);
                try
                {
                    await RunTargetAsync(node, buffered: true);
                }
                finally
                {
                    slots.Release();
                }
            }, CancellationToken.None);
        }
        await Task.WhenAll(tasks.Values);
    }

    private async Task RunTargetAsync(TargetNode node, bool buffered)
    {
        var decision = Decide(node);
        if (decision is not null)
        {
            Record(decision);
            log.Debug("{Target}: {Status} ({Reason})", node.Name, decision.Status, decision.SkipReason ?? decision.Error);
            return;
        }

        if (buffered)
        {
            output.BeginBuffer();
        }
        try
        {
            Record(await ExecuteAsync(node));
        }
        finally
        {
            output.FlushBuffer();
        }
    }

    /// <summary>The result of a target that will not execute, or null when it should.</summary>
    private TargetResult? Decide(TargetNode node)
    {
        if (presetSkips.TryGetValue(node, out var reason))
        {
            return new TargetResult(node.Name, TargetStatus.Skipped, TimeSpan.Zero, SkipReason: reason);
        }
        if (cancellationToken.IsCancellationRequested)
        {
            return new TargetResult(node.Name, TargetStatus.NotRun, TimeSpan.Zero, SkipReason: "the run was cancelled");
        }
        if (node.Definition.IsAssuredAfterFailure)
        {
            return null;
        }
        lock (_lock)
        {
            var blocker = node.DependsOn.Where(plan.Contains).FirstOrDefault(d =>
                _results.TryGetValue(d, out var result) &&
                (result.Status == TargetStatus.NotRun || (result.Status == TargetStatus.Failed && !d.Definition.IsProceedAfterFailure)));
            if (blocker is not null)
            {
                return new TargetResult(node.Name, TargetStatus.NotRun, TimeSpan.Zero,
                    SkipReason: $"its dependency {blocker.Name} {(_results[blocker].Status == TargetStatus.Failed ? "failed" : "did not run")}");
            }
            if (_stopped && !options.Continue)
            {
                return new TargetResult(node.Name, TargetStatus.NotRun, TimeSpan.Zero, SkipReason: "an earlier target failed");
            }
        }
        return null;
    }

    private async Task<TargetResult> ExecuteAsync(TargetNode node)
    {
        if (markers.GroupStart(node.Name) is { } groupStart)
        {
            output.WriteLine(groupStart);
        }
        if (options.Verbosity > BuildVerbosity.Quiet)
        {
            output.WriteLine();
            output.WriteLine($"──── {node.Name} " + new string('─', Math.Max(4, 60 - node.Name.Length)));
        }

        var startedAt = DateTimeOffset.UtcNow;
        var stopwatch = Stopwatch.StartNew();
        try
        {
            foreach (var condition in node.Definition.DynamicConditions)
            {
                if (!condition())
                {
                    log.Information("Skipping {Target}: its OnlyWhenDynamic condition is false", node.Name);
                    return new TargetResult(node.Name, TargetStatus.Skipped, stopwatch.Elapsed, SkipReason: "OnlyWhenDynamic condition is false") { StartedAt = startedAt };
                }
            }

            UpToDateCheck.Fingerprint? inputs = null;
            if (node.Definition.IsIncremental)
            {
                inputs = await _upToDate.TakeAsync(node);
                var reason = options.IsForced(node.Name) ? "--force" : await _upToDate.ReasonToRunAsync(node, inputs);
                if (reason is null)
                {
                    log.Information("{Target} is up to date: its inputs and outputs are unchanged since its last success (--force runs it anyway)", node.Name);
                    foreach (var action in node.Definition.UpToDateActions)
                    {
                        await action();
                    }
                    return new TargetResult(node.Name, TargetStatus.UpToDate, stopwatch.Elapsed, SkipReason: "up to date") { StartedAt = startedAt };
                }
                log.Information("{Target} runs: {Reason}", node.Name, reason);
                _upToDate.Forget(node);
            }

            lock (_lock)
            {
                _executed.Add(node.Name);
            }
            using (StartProgress(node, stopwatch))
            {
                foreach (var action in node.Definition.Actions)
                {
                    await action();
                }
            }
            if (inputs is not null)
            {
                _upToDate.RecordSuccess(node, inputs);
            }
            return new TargetResult(node.Name, TargetStatus.Succeeded, stopwatch.Elapsed) { StartedAt = startedAt };
        }
        catch (Exception exception)
        {
            var message = output.Masker.Apply(exception is OperationCanceledException && cancellationToken.IsCancellationRequested
                ? "cancelled"
                : exception.Message);
            log.Error("Target {Target} failed: {Message}", node.Name, message);
            log.Debug(exception, "{Target} failure details", node.Name);
            if (markers.Error(node.Name, message) is { } annotation)
            {
                output.WriteLine(annotation);
            }
            lock (_lock)
            {
                AnyFailed = true;
                if (!node.Definition.IsProceedAfterFailure)
                {
                    _stopped = true;
                }
            }
            return new TargetResult(node.Name, TargetStatus.Failed, stopwatch.Elapsed, Error: message) { StartedAt = startedAt };
        }
        finally
        {
            if (markers.GroupEnd(node.Name) is { } groupEnd)
            {
                output.WriteLine(groupEnd);
            }
        }
    }

    /// <summary>A long target says it is still running every interval, so a quiet step never looks hung (also under --parallel, where its log is held back).</summary>
    private Timer? StartProgress(TargetNode node, Stopwatch stopwatch)
    {
        if (options.ProgressInterval <= TimeSpan.Zero || options.Verbosity < BuildVerbosity.Normal)
        {
            return null;
        }
        return new Timer(
            _ => output.WriteLineNow($"{DateTime.Now:HH:mm:ss} [INF] {node.Name} still running ({SummaryTable.Format(stopwatch.Elapsed)})"),
            null, options.ProgressInterval, options.ProgressInterval);
    }

    private void Record(TargetResult result)
    {
        lock (_lock)
        {
            _results[plan.Order.First(n => n.Name == result.Name)] = result;
        }
    }
}
