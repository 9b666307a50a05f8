using System.Collections;
using System.Diagnostics;
using System.Linq.Expressions;
using System.Text.Json.Nodes;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace Slipway.Build;

/// <summary>Runs a build: <see cref="RunAsync{T}(string[], Expression{Func{T, Target}})"/> from Main, <see cref="RunAsync(SlipwayBuild, BuildInvocation)"/> from tests.</summary>
public static class BuildRunner
{
    /// <summary>Exit code of a run that could not start (bad arguments, unknown target, cycle, stale schema...).</summary>
    public const int ConfigurationErrorExitCode = 2;

    /// <summary>Exit code of a run in which a target failed.</summary>
    public const int FailureExitCode = 1;

    /// <summary>The entry point for Main: the real console, the process environment, Ctrl+C cancels; returns the exit code.</summary>
    public static async Task<int> RunAsync<T>(string[] args, Expression<Func<T, Target>> defaultTarget)
        where T : SlipwayBuild, new()
    {
        using var cancellation = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            var environment = System.Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
                .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal);
            var outcome = await RunAsync(new T(), new BuildInvocation
            {
                Arguments = args,
                Environment = environment,
                WorkingDirectory = Directory.GetCurrentDirectory(),
                Output = Console.Out,
                DefaultTarget = TargetName(defaultTarget),
                CancellationToken = cancellation.Token,
            });
            return outcome.ExitCode;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>The name of the target property an expression like <c>x => x.Test</c> selects.</summary>
    public static string TargetName<T>(Expression<Func<T, Target>> target) =>
        target.Body is MemberExpression { Member: var member } ? member.Name
            : throw new ArgumentException($"Select a target property, like x => x.Test; got {target}.", nameof(target));

    /// <summary>Runs <paramref name="build"/> in-process as <paramref name="invocation"/> says; never throws for build errors.</summary>
    public static async Task<BuildOutcome> RunAsync(SlipwayBuild build, BuildInvocation invocation)
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(invocation);
        var output = new RunOutput(invocation.Output);
        try
        {
            return await new Run(build, invocation, output).ExecuteAsync();
        }
        catch (BuildConfigurationException exception)
        {
            output.WriteLine($"error: {exception.Message}");
            output.Flush();
            return new BuildOutcome(ConfigurationErrorExitCode, [], [], output.Captured);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // A fault outside any target (a parameter property's setter, a condition, the file system): report, don't crash.
            output.WriteLine($"error: the build could not run: {exception}");
            output.Flush();
            return new BuildOutcome(FailureExitCode, [], [], output.Captured);
        }
        finally
        {
            build.Detach();
        }
    }

    /// <summary>One run, from arguments to summary.</summary>
    private sealed class Run(SlipwayBuild build, BuildInvocation invocation, RunOutput output)
    {
        public async Task<BuildOutcome> ExecuteAsync()
        {
            var stopwatch = Stopwatch.StartNew();
            var parameters = ParameterMember.Discover(build.GetType());
            var commandLine = CommandLine.Parse(invocation.Arguments, OptionSpecs(parameters));
            var root = FindRoot(commandLine);

            if (commandLine.Has(EngineOptions.Help) || commandLine.Has(EngineOptions.GenerateSchema))
            {
                // Declarations may read RootDirectory, Host or Log: give them a context with the declared defaults.
                using var provisionalLogger = CreateLogger(BuildVerbosity.Normal);
                build.Attach(new BuildContext(root, provisionalLogger, CiHost.Detect(invocation.Environment), invocation.Environment,
                    BuildVerbosity.Normal, output, invocation.CancellationToken));
                return DescribeBuild(commandLine, parameters, root);
            }

            var bound = ParameterBinder.Bind(build, parameters, commandLine, invocation.Environment, root,
                commandLine.Values(EngineOptions.Profile) ?? []);
            output.Masker = new SecretMasker(bound.SecretValues);

            var verbosity = Verbosity(commandLine, bound.EngineSettings);
            var host = CiHost.Detect(invocation.Environment);
            using var logger = CreateLogger(verbosity);
            var context = new BuildContext(root, logger, host, invocation.Environment, verbosity, output, invocation.CancellationToken);
            build.Attach(context);

            // Targets are read after binding, so descriptions and conditions see the parameter values.
            var graph = TargetGraph.Discover(build);
            var schema = BuildSchema.Generate(graph, parameters);
            CheckSchema(root / BuildSchema.RelativePath, schema, logger);

            var plan = ExecutionPlan.Create(InvokedTargets(graph, commandLine, bound.EngineSettings));
            CiConfigurations.Check(build, graph, parameters, plan, root, logger);
            var skips = PresetSkips(plan, graph, commandLine, bound.EngineSettings);

            if (commandLine.Has(EngineOptions.Plan))
            {
                return WritePlan(plan, skips, root);
            }

            CheckRequiredParameters(parameters);
            CheckRequires(plan, skips, parameters);

            if (host.IsCi)
            {
                logger.Information("Running on {Host}: run {RunId}, branch {Branch}, commit {Commit}", host.Name, host.RunId ?? "-", host.Branch ?? "-", host.Commit ?? "-");
            }
            var executor = new TargetExecutor(plan, skips, output, logger, new CiLogMarkers(host.Name, TimeProvider.System),
                new ExecutionOptions(
                    Flag(commandLine, EngineOptions.Continue, bound.EngineSettings),
                    Flag(commandLine, EngineOptions.Parallel, bound.EngineSettings),
                    invocation.MaxParallelism ?? System.Environment.ProcessorCount,
                    verbosity,
                    invocation.ProgressInterval,
                    Forced(commandLine, graph),
                    root),
                invocation.CancellationToken);
            context.ResultsSoFar = executor.ResultsSoFar;
            await executor.RunAsync();

            var results = executor.ResultsSoFar();
            var exitCode = executor.AnyFailed || results.Any(r => r.Status == TargetStatus.NotRun) ? FailureExitCode : 0;
            foreach (var line in SummaryTable.Render(results, stopwatch.Elapsed, exitCode == 0))
            {
                output.WriteLine(line);
            }
            foreach (var line in context.ClosingLines)
            {
                output.WriteLine(line);
            }
            output.Flush();
            WriteLogFile(root);
            return new BuildOutcome(exitCode, results, executor.Executed, output.Captured);
        }

        /// <summary>--help and --generate-schema: they read the declarations only, so a bad parameter value cannot block them.</summary>
        private BuildOutcome DescribeBuild(CommandLine commandLine, IReadOnlyList<ParameterMember> parameters, AbsolutePath root)
        {
            var graph = TargetGraph.Discover(build);
            if (commandLine.Has(EngineOptions.Help))
            {
                foreach (var line in HelpText.Render(build, graph, parameters, invocation.DefaultTarget))
                {
                    output.WriteLine(line);
                }
            }
            else
            {
                (root / BuildSchema.RelativePath).WriteAllText(BuildSchema.Generate(graph, parameters));
                output.WriteLine($"Wrote {BuildSchema.RelativePath} from {build.GetType().Name}.");
            }
            output.Flush();
            return new BuildOutcome(0, [], [], output.Captured);
        }

        private static List<OptionSpec> OptionSpecs(IReadOnlyList<ParameterMember> parameters)
        {
            var specs = EngineOptions.Specs.ToList();
            foreach (var parameter in parameters)
            {
                if (specs.FirstOrDefault(s => CommandLine.MatchKey(s.Name) == CommandLine.MatchKey(parameter.OptionName)) is { } clash)
                {
                    throw new BuildConfigurationException($"Parameter '{parameter.Name}' clashes with the option --{clash.Name}; rename it.");
                }
                specs.Add(new OptionSpec(parameter.OptionName, parameter.Arity));
            }
            return specs;
        }

        private AbsolutePath FindRoot(CommandLine commandLine)
        {
            var start = invocation.WorkingDirectory ?? Directory.GetCurrentDirectory();
            if (commandLine.Values(EngineOptions.Root) is [var rootOption])
            {
                var root = Path.IsPathRooted(rootOption) ? AbsolutePath.Create(rootOption) : AbsolutePath.Create(start) / rootOption;
                return root.DirectoryExists() ? root : throw new BuildConfigurationException($"--root {rootOption}: directory {root} does not exist.");
            }
            if (invocation.RootDirectory is { } given)
            {
                return AbsolutePath.Create(given);
            }
            for (var directory = AbsolutePath.Create(start); directory is not null; directory = directory.Parent)
            {
                if ((directory / ".nuke").DirectoryExists())
                {
                    return directory;
                }
            }
            throw new BuildConfigurationException(
                $"No .nuke/ directory in {start} or above it. Run from the repository (which has .nuke/), or pass --root <path>.");
        }

        private static BuildVerbosity Verbosity(CommandLine commandLine, IReadOnlyDictionary<string, JsonNode?> settings)
        {
            var text = commandLine.Values(EngineOptions.Verbosity) is [var value] ? value
                : settings.TryGetValue(CommandLine.MatchKey("Verbosity"), out var node) && node is not null ? node.ToString()
                : null;
            if (text is null)
            {
                return BuildVerbosity.Normal;
            }
            return Enum.TryParse<BuildVerbosity>(text, ignoreCase: true, out var verbosity) && Enum.IsDefined(verbosity)
                ? verbosity
                : throw new BuildConfigurationException($"Verbosity '{text}' is not one of {string.Join(", ", Enum.GetNames<BuildVerbosity>().Select(n => n.ToLowerInvariant()))}.");
        }

        /// <summary>--force alone forces every incremental target; with names, those (checked like any target name).</summary>
        private static IReadOnlySet<string>? Forced(CommandLine commandLine, TargetGraph graph) =>
            commandLine.Values(EngineOptions.Force)?.Select(name => FindTarget(graph, name).Name).ToHashSet(StringComparer.Ordinal);

        private static bool Flag(CommandLine commandLine, string name, IReadOnlyDictionary<string, JsonNode?> settings)
        {
            if (commandLine.Values(name) is { } values)
            {
                return values.Count == 0 || (bool.TryParse(values[0], out var flag) ? flag
                    : throw new BuildConfigurationException($"--{name} takes true or false, not '{values[0]}'."));
            }
            return settings.TryGetValue(CommandLine.MatchKey(name), out var node) && node is JsonValue value && value.TryGetValue<bool>(out var setting) && setting;
        }

        private Serilog.Core.Logger CreateLogger(BuildVerbosity verbosity)
        {
            var level = verbosity switch
            {
                BuildVerbosity.Quiet => LogEventLevel.Error,
                BuildVerbosity.Minimal => LogEventLevel.Warning,
                BuildVerbosity.Normal => LogEventLevel.Information,
                _ => LogEventLevel.Verbose,
            };
            var formatter = new MessageTemplateTextFormatter("{Timestamp:HH:mm:ss} [{Level:u3}] {Message:l}{NewLine}{Exception}");
            return new LoggerConfiguration()
                .MinimumLevel.Is(level)
                .WriteTo.Sink(new RunOutputSink(output, formatter))
                .CreateLogger();
        }

        private static void CheckSchema(AbsolutePath schemaFile, string schema, ILogger logger)
        {
            if (!schemaFile.FileExists())
            {
                schemaFile.WriteAllText(schema);
                logger.Information("Wrote {Schema}; commit it so IDEs complete parameters.json", BuildSchema.RelativePath);
                return;
            }
            if (!BuildSchema.SameContent(schemaFile.ReadAllText(), schema))
            {
                throw new BuildConfigurationException(
                    $"{BuildSchema.RelativePath} is stale: the build's parameters or targets changed. Refresh it with `./build.sh --generate-schema` " +
                    "(or `dotnet run --project build/_build.csproj -- --generate-schema`) and commit it.");
            }
        }

        private List<TargetNode> InvokedTargets(TargetGraph graph, CommandLine commandLine, IReadOnlyDictionary<string, JsonNode?> settings)
        {
            var names = commandLine.Targets.Concat(commandLine.Values(EngineOptions.Target) ?? []).ToList();
            if (names.Count == 0 && settings.TryGetValue(CommandLine.MatchKey("Target"), out var node) && node is JsonArray array)
            {
                names = array.Select(t => t?.ToString() ?? "").ToList();
            }
            if (names.Count == 0 && invocation.DefaultTarget is { } defaultTarget)
            {
                names.Add(defaultTarget);
            }
            if (names.Count == 0)
            {
                throw new BuildConfigurationException($"No target given and no default target. Name one of: {string.Join(", ", graph.Nodes.Select(n => n.Name))}.");
            }
            return names.Select(n => FindTarget(graph, n)).Distinct().ToList();
        }

        private static TargetNode FindTarget(TargetGraph graph, string name)
        {
            if (graph.Find(name) is { } node)
            {
                return node;
            }
            var closest = CommandLine.Closest(name, graph.Nodes.Select(n => n.Name));
            throw new BuildConfigurationException(
                $"Unknown target '{name}'." + (closest is null ? "" : $" Did you mean '{closest}'?") +
                $" Targets: {string.Join(", ", graph.Nodes.Where(n => !n.Definition.IsUnlisted).Select(n => n.Name))}.");
        }

        /// <summary>
        /// Targets skipped before the run: --skip, a false OnlyWhenStatic, and then the dependencies only
        /// skipped targets needed (Nuke's behaviour).
        /// </summary>
        private static Dictionary<TargetNode, string> PresetSkips(ExecutionPlan plan, TargetGraph graph, CommandLine commandLine, IReadOnlyDictionary<string, JsonNode?> settings)
        {
            var skips = new Dictionary<TargetNode, string>();
            var skipNames = commandLine.Values(EngineOptions.Skip)?.ToList();
            if (skipNames is null && settings.TryGetValue(CommandLine.MatchKey("Skip"), out var node) && node is JsonArray array)
            {
                skipNames = array.Select(t => t?.ToString() ?? "").ToList();
            }
            if (skipNames is { Count: 0 })
            {
                foreach (var target in plan.Order.Where(t => !plan.Invoked.Contains(t)))
                {
                    skips[target] = "--skip";
                }
            }
            foreach (var name in skipNames ?? [])
            {
                var target = FindTarget(graph, name);
                if (plan.Contains(target))
                {
                    skips[target] = "--skip";
                }
            }

            foreach (var target in plan.Order.Where(t => !skips.ContainsKey(t)))
            {
                foreach (var condition in target.Definition.StaticConditions)
                {
                    bool holds;
                    try
                    {
                        holds = condition();
                    }
                    catch (Exception exception)
                    {
                        throw new BuildConfigurationException($"The OnlyWhenStatic condition of target '{target.Name}' threw: {exception.Message}");
                    }
                    if (!holds)
                    {
                        skips[target] = "OnlyWhenStatic condition is false";
                        break;
                    }
                }
            }

            // What the invoked targets still need, not counting paths through skipped targets.
            var needed = new HashSet<TargetNode>();
            var pending = new Queue<TargetNode>(plan.Invoked.Where(t => !skips.ContainsKey(t)));
            while (pending.TryDequeue(out var target))
            {
                if (needed.Add(target))
                {
                    foreach (var next in target.DependsOn.Concat(target.Triggers).Where(n => !skips.ContainsKey(n)))
                    {
                        pending.Enqueue(next);
                    }
                }
            }
            foreach (var target in plan.Order.Where(t => !needed.Contains(t) && !skips.ContainsKey(t)))
            {
                skips[target] = "only skipped targets need it";
            }
            return skips;
        }

        private BuildOutcome WritePlan(ExecutionPlan plan, IReadOnlyDictionary<TargetNode, string> skips, AbsolutePath root)
        {
            foreach (var line in PlanReport.RenderText(plan, skips))
            {
                output.WriteLine(line);
            }
            var mermaid = PlanReport.RenderMermaid(plan, skips);
            var temp = root / ".nuke" / "temp";
            (temp / "plan.mmd").WriteAllText(output.Masker.Apply(mermaid));
            (temp / "plan.html").WriteAllText(output.Masker.Apply(PlanReport.RenderHtml(plan, skips, mermaid)));
            output.WriteLine($"Wrote .nuke/temp/plan.mmd and .nuke/temp/plan.html");
            output.Flush();
            WriteLogFile(root);
            return new BuildOutcome(0, [], [], output.Captured);
        }

        private void CheckRequiredParameters(IReadOnlyList<ParameterMember> parameters)
        {
            var missing = parameters.Where(p => p.IsRequired && IsEmpty(p.GetValue(build))).ToList();
            if (missing.Count > 0)
            {
                throw new BuildConfigurationException(string.Join(Environment.NewLine, missing.Select(p =>
                    $"Required parameter '{p.Name}' is not set: pass --{p.OptionName} <value>, set {p.EnvironmentName}, or add \"{p.Name}\" to .nuke/parameters.json.")));
            }
        }

        private static void CheckRequires(ExecutionPlan plan, IReadOnlyDictionary<TargetNode, string> skips, IReadOnlyList<ParameterMember> parameters)
        {
            var problems = new List<string>();
            foreach (var target in plan.Order.Where(t => !skips.ContainsKey(t)))
            {
                foreach (var required in target.Definition.RequiredValues)
                {
                    if (IsEmpty(required.Compile()()))
                    {
                        var name = MemberName(required.Body);
                        var parameter = parameters.FirstOrDefault(p => p.Name == name);
                        problems.Add(parameter is not null
                            ? $"Target '{target.Name}' requires parameter '{parameter.Name}': pass --{parameter.OptionName} <value> or set {parameter.EnvironmentName}."
                            : $"Target '{target.Name}' requires '{name ?? required.Body.ToString()}' to have a value.");
                    }
                }
                foreach (var condition in target.Definition.RequiredConditions)
                {
                    if (!condition.Compile()())
                    {
                        problems.Add($"Target '{target.Name}' requires `{Readable(condition.Body)}` to be true.");
                    }
                }
            }
            if (problems.Count > 0)
            {
                throw new BuildConfigurationException(string.Join(Environment.NewLine, problems));
            }
        }

        private static string? MemberName(Expression expression) => expression switch
        {
            UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked } unary => MemberName(unary.Operand),
            MemberExpression member => member.Member.Name,
            _ => null,
        };

        // "value(Build).Count > 3" reads better as "Count > 3".
        private static string Readable(Expression expression) =>
            System.Text.RegularExpressions.Regex.Replace(expression.ToString(), @"value\([^)]*\)\.", "");

        private static bool IsEmpty(object? value) => value switch
        {
            null => true,
            string text => string.IsNullOrWhiteSpace(text),
            string[] texts => texts.Length == 0,
            _ => false,
        };

        private void WriteLogFile(AbsolutePath root)
        {
            // Output is masked line by line as it is written, so the log holds no secret.
            (root / ".nuke" / "temp" / "build.log").WriteAllText(output.Captured);
        }
    }
}
