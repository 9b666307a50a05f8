namespace Slipway.Build;

/// <summary>The engine's own command-line options (everything that is not a build parameter).</summary>
internal static class EngineOptions
{
    public const string Target = "target";
    public const string Skip = "skip";
    public const string Plan = "plan";
    public const string Help = "help";
    public const string Verbosity = "verbosity";
    public const string Continue = "continue";
    public const string Root = "root";
    public const string Profile = "profile";
    public const string Parallel = "parallel";
    public const string GenerateSchema = "generate-schema";
    public const string Force = "force";

    public static readonly IReadOnlyList<OptionSpec> Specs =
    [
        new(Target, OptionArity.Many),
        new(Skip, OptionArity.Many),
        new(Plan, OptionArity.Flag),
        new(Help, OptionArity.Flag),
        new(Verbosity, OptionArity.Single),
        new(Continue, OptionArity.Flag),
        new(Root, OptionArity.Single),
        new(Profile, OptionArity.Many),
        new(Parallel, OptionArity.Flag),
        new(GenerateSchema, OptionArity.Flag),
        new(Force, OptionArity.Many),
    ];

    public static readonly IReadOnlyList<(string Usage, string Description)> HelpLines =
    [
        ("<target>... | --target <target>...", "Targets to run (default marked * above)"),
        ("--skip [<target>...]", "Skip the named targets; bare: skip all but the invoked ones"),
        ("--plan", "Print the execution plan; write .nuke/temp/plan.mmd and plan.html"),
        ("--continue", "After a failure, still run the targets that do not depend on it"),
        ("--parallel", "Run independent targets concurrently (bounded by the processor count)"),
        ("--force [<target>...]", "Run the named incremental targets even when up to date; bare: all of them"),
        ("--profile <name>...", "Layer .nuke/parameters.<name>.json over .nuke/parameters.json"),
        ("--verbosity <quiet|minimal|normal|verbose>", "How much to log (default normal)"),
        ("--root <path>", "Root directory (default: the nearest directory holding .nuke/)"),
        ("--generate-schema", "Write .nuke/build.schema.json from the build class and exit"),
        ("--help, -h", "Show this help"),
    ];
}
