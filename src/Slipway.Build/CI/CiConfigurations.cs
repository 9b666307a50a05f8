using System.Reflection;
using Serilog;

namespace Slipway.Build;

/// <summary>A generated CI configuration: where it goes (relative to the root, '/'-separated) and its exact text.</summary>
public sealed record CiConfigurationFile(string RelativePath, string Content);

/// <summary>
/// Generates the CI configurations declared by <see cref="GitHubActionsAttribute"/>, <see cref="GitLabCIAttribute"/> and
/// <see cref="AzurePipelinesAttribute"/> on a build class, writes them (<see cref="Write"/>, for a GenerateCi target) and
/// checks on every run that the committed ones are up to date.
/// </summary>
public static class CiConfigurations
{
    /// <summary>The configurations the running build declares, in a fixed order; the same build always gives the same bytes.</summary>
    public static IReadOnlyList<CiConfigurationFile> Generate(SlipwayBuild build)
    {
        ArgumentNullException.ThrowIfNull(build);
        var graph = TargetGraph.Discover(build);
        return Generate(build.GetType(), ParameterMember.Discover(build.GetType()), graph.Nodes.Select(n => n.Name).ToList());
    }

    /// <summary>
    /// Writes every declared configuration whose committed text differs, and removes generated files no longer declared.
    /// Call it from the target marked <see cref="RefreshesCiConfigurationsAttribute"/>. Returns the paths written or removed.
    /// </summary>
    public static IReadOnlyList<string> Write(SlipwayBuild build)
    {
        var files = Generate(build);
        var root = build.RootDirectory;
        var changed = new List<string>();
        foreach (var problem in FindStale(root, files))
        {
            var path = root / problem.RelativePath;
            if (problem.Kind == CiStaleness.NoLongerDeclared)
            {
                path.DeleteFile();
                build.Log.Information("Removed {File}: no attribute declares it any more", problem.RelativePath);
            }
            else
            {
                path.WriteAllText(files.Single(f => f.RelativePath == problem.RelativePath).Content);
                build.Log.Information("Wrote {File}", problem.RelativePath);
            }
            changed.Add(problem.RelativePath);
        }
        if (files.Count == 0)
        {
            build.Log.Warning("{Build} declares no [GitHubActions], [GitLabCI] or [AzurePipelines] attribute: no CI configuration to write", build.GetType().Name);
        }
        else if (changed.Count == 0)
        {
            build.Log.Information("CI configurations are up to date: {Files}", string.Join(", ", files.Select(f => f.RelativePath)));
        }
        return changed;
    }

    internal static IReadOnlyList<CiConfigurationFile> Generate(Type buildType, IReadOnlyList<ParameterMember> parameters, IReadOnlyList<string> targetNames)
    {
        var files = new List<CiConfigurationFile>();
        foreach (var workflow in CiJobReader.Attributes<GitHubActionsAttribute>(buildType).GroupBy(a => a.Workflow).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            if (string.IsNullOrWhiteSpace(workflow.Key) || workflow.Key.IndexOfAny(['/', '\\', ' ']) >= 0 || workflow.Key.StartsWith('.'))
            {
                throw new BuildConfigurationException($"[GitHubActions(\"{workflow.Key}\", ...)]: the workflow name is its file name under .github/workflows; use letters, digits, '-', '_' or '.'.");
            }
            var path = GitHubActionsWriter.RelativePath(workflow.Key);
            files.Add(new(path, GitHubActionsWriter.Write(workflow.Key, CiJobReader.Read(buildType, path, workflow, parameters, targetNames))));
        }
        if (CiJobReader.Attributes<GitLabCIAttribute>(buildType) is { Count: > 0 } gitLab)
        {
            files.Add(new(GitLabCiWriter.RelativePath, GitLabCiWriter.Write(CiJobReader.Read(buildType, GitLabCiWriter.RelativePath, gitLab, parameters, targetNames))));
        }
        if (CiJobReader.Attributes<AzurePipelinesAttribute>(buildType) is { Count: > 0 } azure)
        {
            files.Add(new(AzurePipelinesWriter.RelativePath, AzurePipelinesWriter.Write(CiJobReader.Read(buildType, AzurePipelinesWriter.RelativePath, azure, parameters, targetNames))));
        }
        return files;
    }

    /// <summary>Declared files that are missing or differ from <paramref name="files"/>, and generated files nothing declares any more.</summary>
    internal static IReadOnlyList<CiStaleFile> FindStale(AbsolutePath root, IReadOnlyList<CiConfigurationFile> files)
    {
        var stale = new List<CiStaleFile>();
        foreach (var file in files)
        {
            var path = root / file.RelativePath;
            if (!path.FileExists())
            {
                stale.Add(new(file.RelativePath, CiStaleness.Missing));
            }
            else if (!SameContent(path.ReadAllText(), file.Content))
            {
                stale.Add(new(file.RelativePath, CiStaleness.Differs));
            }
        }

        var workflows = root / ".github" / "workflows";
        var candidates = new[] { root / GitLabCiWriter.RelativePath, root / AzurePipelinesWriter.RelativePath }
            .Concat(workflows.DirectoryExists() ? workflows.GlobFiles("*.yml", recursive: false).Concat(workflows.GlobFiles("*.yaml", recursive: false)) : []);
        foreach (var candidate in candidates.Where(c => c.FileExists()))
        {
            var relative = candidate.RelativeTo(root).Replace('\\', '/');
            if (!files.Any(f => f.RelativePath == relative) && CiHeader.IsGenerated(candidate.ReadAllText()))
            {
                stale.Add(new(relative, CiStaleness.NoLongerDeclared));
            }
        }
        return stale.OrderBy(s => s.RelativePath, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The engine's check before targets run: a missing file is written (as Nuke regenerates its configurations),
    /// one that differs or is no longer declared fails the run with how to refresh it. Skipped when the refresh target is invoked.
    /// </summary>
    internal static void Check(SlipwayBuild build, TargetGraph graph, IReadOnlyList<ParameterMember> parameters, ExecutionPlan plan, AbsolutePath root, ILogger logger)
    {
        if (plan.Invoked.Any(t => IsRefreshTarget(build.GetType(), t.Name)))
        {
            return;
        }
        var files = Generate(build.GetType(), parameters, graph.Nodes.Select(n => n.Name).ToList());
        var stale = FindStale(root, files);
        foreach (var missing in stale.Where(s => s.Kind == CiStaleness.Missing))
        {
            (root / missing.RelativePath).WriteAllText(files.Single(f => f.RelativePath == missing.RelativePath).Content);
            logger.Information("Wrote {File} from the build's CI attributes; commit it", missing.RelativePath);
        }
        var problems = stale.Where(s => s.Kind != CiStaleness.Missing).ToList();
        if (problems.Count > 0)
        {
            var refresh = graph.Nodes.FirstOrDefault(n => IsRefreshTarget(build.GetType(), n.Name))?.Name ?? "GenerateCi";
            throw new BuildConfigurationException(string.Join(Environment.NewLine, problems.Select(p => p.Kind == CiStaleness.Differs
                ? $"{p.RelativePath} is stale: it differs from what the build's CI attributes generate (edited by hand, or the attributes changed). " +
                  $"Refresh it with `./build.sh {refresh}` and commit it; change the attributes in build/, not the file."
                : $"{p.RelativePath} was generated but no CI attribute declares it any more. Remove it with `./build.sh {refresh}` and commit.")));
        }
    }

    private static bool IsRefreshTarget(Type buildType, string targetName)
    {
        for (var type = buildType; type is not null && type != typeof(SlipwayBuild); type = type.BaseType)
        {
            var property = type.GetProperty(targetName, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
            if (property is not null)
            {
                return property.IsDefined(typeof(RefreshesCiConfigurationsAttribute));
            }
        }
        return false;
    }

    /// <summary>Equal up to line endings and trailing whitespace, like the schema: a checkout with CRLF is not stale.</summary>
    private static bool SameContent(string committed, string generated) =>
        committed.ReplaceLineEndings("\n").TrimEnd() == generated.ReplaceLineEndings("\n").TrimEnd();
}

internal enum CiStaleness
{
    Missing,
    Differs,
    NoLongerDeclared,
}

internal sealed record CiStaleFile(string RelativePath, CiStaleness Kind);
