using System.Text;
using CliWrap;
using CliWrap.EventStream;

namespace Slipway.Delivery.Images;

/// <summary>
/// Runs <c>dotnet publish</c> for a container: self-contained linux-x64, Release, and deterministic
/// (the same commit gives the same bytes): versions and build time come from the commit, not from the clock.
/// </summary>
internal static class DotnetPublish
{
    public const string RuntimeIdentifier = "linux-x64";

    /// <summary>The arguments both builders share; <paramref name="extra"/> adds the builder's own.</summary>
    public static List<string> Arguments(ImageBuildRequest request, IEnumerable<string> extra)
    {
        var version = request.Version;
        var arguments = new List<string>
        {
            "publish", Path.GetFullPath(request.Service.ProjectPath),
            "-c", "Release", "-r", RuntimeIdentifier, "--self-contained", "true", "-nologo",
            $"-p:Version={version.Version}",
            $"-p:SourceRevisionId={version.Commit}",
            // Services may stamp their build time (Beacon's /version does); it is the commit time so rebuilds are identical.
            $"-p:BuildTime={version.CommitTimeRfc3339}",
            "-p:Deterministic=true",
            "-p:ContinuousIntegrationBuild=true",
            $"-p:PathMap={Path.GetDirectoryName(Path.GetFullPath(request.Service.ProjectPath))}=/src/{request.Service.Title}",
            $"-p:PublishTrimmed={(request.Trimmed ? "true" : "false")}",
        };
        arguments.AddRange(extra);
        return arguments;
    }

    public static async Task RunAsync(IReadOnlyList<string> arguments, ImageBuildRequest request, IReadOnlyDictionary<string, string?> environment,
                                      Serilog.ILogger log, CancellationToken cancellationToken)
    {
        var tail = new Queue<string>();
        var command = Cli.Wrap("dotnet")
            .WithArguments(arguments)
            .WithWorkingDirectory(Path.GetDirectoryName(Path.GetFullPath(request.Service.ProjectPath))!)
            .WithEnvironmentVariables(env =>
            {
                env.Set("SOURCE_DATE_EPOCH", request.Version.CommitTimeUnixSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture))
                   .Set("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
                   .Set("DOTNET_NOLOGO", "1")
                   .Set("DOTNET_SKIP_FIRST_TIME_EXPERIENCE", "1");
                foreach (var (name, value) in environment) env.Set(name, value);
            })
            .WithValidation(CommandResultValidation.None);

        log.Debug("dotnet {Arguments}", string.Join(' ', arguments));
        int exitCode = -1;
        await foreach (var @event in command.ListenAsync(Encoding.UTF8, Encoding.UTF8, cancellationToken))
        {
            switch (@event)
            {
                case StandardOutputCommandEvent output: Remember(output.Text); log.Debug("  {Line}", output.Text); break;
                case StandardErrorCommandEvent error: Remember(error.Text); log.Warning("  {Line}", error.Text); break;
                case ExitedCommandEvent exited: exitCode = exited.ExitCode; break;
            }
        }
        if (exitCode != 0)
        {
            var errors = tail.Where(line => line.Contains("error", StringComparison.OrdinalIgnoreCase)).Distinct().ToList();
            throw new ImageBuildException(
                $"'dotnet publish' of {request.Service.ProjectPath} failed (exit {exitCode}):{Environment.NewLine}" +
                string.Join(Environment.NewLine, errors.Count > 0 ? errors : tail));
        }

        void Remember(string line)
        {
            tail.Enqueue(line);
            while (tail.Count > 40) tail.Dequeue();
        }
    }
}
