using Serilog;

namespace Slipway.Build;

/// <summary>
/// Base class of a build: declare <c>Target</c> properties and <c>[Parameter]</c> members, run it with
/// <see cref="BuildRunner"/>. Everything the run provides lives on the instance, so builds never share state.
/// </summary>
public abstract class SlipwayBuild
{
    private BuildContext? _context;

    internal BuildContext Context =>
        _context ?? throw new InvalidOperationException($"{GetType().Name} is not running: run it through BuildRunner.RunAsync.");

    internal void Attach(BuildContext context)
    {
        if (Interlocked.CompareExchange(ref _context, context, null) is not null)
        {
            throw new InvalidOperationException($"This {GetType().Name} instance is already running; create one instance per run.");
        }
    }

    internal void Detach() => _context = null;

    /// <summary>The nearest directory holding .nuke/, or --root.</summary>
    public AbsolutePath RootDirectory => Context.RootDirectory;

    /// <summary>.nuke/temp: scratch files, plan, build.log. Git-ignored.</summary>
    public AbsolutePath TemporaryDirectory => RootDirectory / ".nuke" / "temp";

    /// <summary>.nuke/artifacts: what the build produces (test results, packages). Git-ignored, removed by Clean.</summary>
    public AbsolutePath ArtifactsDirectory => RootDirectory / ".nuke" / "artifacts";

    /// <summary>The run's logger. Every line it writes is masked; pass it to library code.</summary>
    public ILogger Log => Context.Logger;

    public CiHost Host => Context.Host;

    /// <summary>The environment given to the run (the process environment for a real run).</summary>
    public IReadOnlyDictionary<string, string?> EnvironmentVariables => Context.Environment;

    public BuildVerbosity Verbosity => Context.Verbosity;

    /// <summary>Cancelled on Ctrl+C (real console) or by the invocation's token.</summary>
    public CancellationToken CancellationToken => Context.CancellationToken;

    /// <summary>Results of the targets finished so far, in plan order.</summary>
    public IReadOnlyList<TargetResult> Results => Context.ResultsSoFar();

    /// <summary>Replaces every secret parameter value with ***; use it for files the build writes itself.</summary>
    public string MaskSecrets(string text) => Context.Output.Masker.Apply(text);

    /// <summary>A line printed after the summary table, in the order added; the last one added is the run's last line.</summary>
    public void AddClosingLine(string line) => Context.AddClosingLine(line);

    /// <summary>Like <see cref="AddClosingLine"/>, but a later line with the same key replaces the earlier one and moves to the end.</summary>
    public void SetClosingLine(string key, string line) => Context.AddClosingLine(line, key);
}

/// <summary>The per-run state a build instance reads through its base class.</summary>
internal sealed class BuildContext(
    AbsolutePath rootDirectory,
    ILogger logger,
    CiHost host,
    IReadOnlyDictionary<string, string?> environment,
    BuildVerbosity verbosity,
    RunOutput output,
    CancellationToken cancellationToken)
{
    private readonly List<(string? Key, string Line)> _closingLines = [];

    public AbsolutePath RootDirectory { get; } = rootDirectory;
    public ILogger Logger { get; } = logger;
    public CiHost Host { get; } = host;
    public IReadOnlyDictionary<string, string?> Environment { get; } = environment;
    public BuildVerbosity Verbosity { get; } = verbosity;
    public RunOutput Output { get; } = output;
    public CancellationToken CancellationToken { get; } = cancellationToken;
    public Func<IReadOnlyList<TargetResult>> ResultsSoFar { get; set; } = () => [];

    public IReadOnlyList<string> ClosingLines
    {
        get
        {
            lock (_closingLines)
            {
                return _closingLines.Select(entry => entry.Line).ToList();
            }
        }
    }

    public void AddClosingLine(string line, string? key = null)
    {
        lock (_closingLines)
        {
            if (key is not null)
            {
                _closingLines.RemoveAll(entry => entry.Key == key);
            }
            _closingLines.Add((key, line));
        }
    }
}
