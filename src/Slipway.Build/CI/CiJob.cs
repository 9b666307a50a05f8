using System.Reflection;
using System.Text.RegularExpressions;

namespace Slipway.Build;

/// <summary>A secret imported into a CI job: the [Secret] parameter and the environment variable the engine reads it from.</summary>
internal sealed record CiSecret(string ParameterName, string EnvironmentName);

/// <summary>A validated CI job: what one attribute declares, resolved against the build's targets and parameters.</summary>
internal sealed record CiJob(
    CiJobAttribute Attribute,
    IReadOnlyList<string> PushBranches,
    IReadOnlyList<string> PullRequestBranches,
    IReadOnlyList<string> Targets,
    IReadOnlyList<CiSecret> Secrets,
    string? ConcurrencyGroup,
    IReadOnlyList<string> After)
{
    public string Name => Attribute.Job;

    /// <summary>The command a developer would type: <c>./build.sh Test</c>, or <c>./build.sh</c> for the default target.</summary>
    public string Command => Targets.Count == 0 ? "./build.sh" : $"./build.sh {string.Join(" ", Targets)}";

    /// <summary>True when the job runs on exactly the triggers its whole file runs on (so it needs no condition of its own).</summary>
    public bool RunsOnEveryTriggerOf(IReadOnlyList<string> filePushBranches, IReadOnlyList<string> filePullRequestBranches) =>
        PushBranches.SequenceEqual(filePushBranches) && PullRequestBranches.SequenceEqual(filePullRequestBranches);
}

/// <summary>The jobs of one configuration file, in dependency order (ties by name), with the union of their triggers.</summary>
internal sealed record CiFileJobs(string BuildName, IReadOnlyList<CiJob> Jobs)
{
    public IReadOnlyList<string> PushBranches { get; } = Union(Jobs.SelectMany(j => j.PushBranches));
    public IReadOnlyList<string> PullRequestBranches { get; } = Union(Jobs.SelectMany(j => j.PullRequestBranches));

    public IReadOnlyList<CiSecret> Secrets { get; } = Jobs.SelectMany(j => j.Secrets).DistinctBy(s => s.ParameterName)
        .OrderBy(s => s.EnvironmentName, StringComparer.Ordinal).ToList();

    private static List<string> Union(IEnumerable<string> branches) => branches.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
}

/// <summary>Reads the CI attributes of a build class and checks them against its targets and parameters.</summary>
internal static partial class CiJobReader
{
    public static IReadOnlyList<T> Attributes<T>(Type buildType) where T : CiJobAttribute =>
        buildType.GetCustomAttributes<T>(inherit: true).ToList();

    /// <summary>Validates <paramref name="attributes"/> (the jobs of one file) and orders them; every problem is a <see cref="BuildConfigurationException"/>.</summary>
    public static CiFileJobs Read(
        Type buildType,
        string fileName,
        IEnumerable<CiJobAttribute> attributes,
        IReadOnlyList<ParameterMember> parameters,
        IReadOnlyList<string> targetNames)
    {
        var jobs = attributes.Select(a => ReadJob(a, fileName, parameters, targetNames)).ToList();
        foreach (var duplicate in jobs.GroupBy(j => j.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            throw new BuildConfigurationException($"{fileName}: two [{AttributeName(duplicate.First().Attribute)}] attributes declare the job '{duplicate.Key}'; give each job its own name.");
        }
        foreach (var job in jobs)
        {
            foreach (var after in job.After.Where(a => !jobs.Any(j => j.Name == a)))
            {
                throw new BuildConfigurationException(
                    $"{fileName}: job '{job.Name}' runs After '{after}', which is not a job of that file. Jobs: {string.Join(", ", jobs.Select(j => j.Name))}.");
            }
        }
        return new CiFileJobs(buildType.Name, Order(jobs, fileName));
    }

    private static CiJob ReadJob(CiJobAttribute attribute, string fileName, IReadOnlyList<ParameterMember> parameters, IReadOnlyList<string> targetNames)
    {
        var where = $"{fileName}: [{AttributeName(attribute)}(\"{attribute.Job}\")]";
        if (!JobNamePattern().IsMatch(attribute.Job ?? ""))
        {
            throw new BuildConfigurationException($"{where}: a job name takes letters, digits and underscores, starting with a letter or underscore (all three CI services accept it).");
        }
        if (attribute.OnPushBranches.Length == 0 && attribute.OnPullRequestBranches.Length == 0)
        {
            throw new BuildConfigurationException($"{where} never runs: set OnPushBranches and/or OnPullRequestBranches.");
        }
        foreach (var branch in attribute.OnPushBranches.Concat(attribute.OnPullRequestBranches))
        {
            if (string.IsNullOrWhiteSpace(branch) || branch.IndexOfAny(['*', '?', '[', '!', ' ', '\'', '"']) >= 0)
            {
                throw new BuildConfigurationException($"{where}: branch '{branch}' is not an exact branch name (patterns are not supported, so every service reads it the same).");
            }
        }
        if (attribute.TimeoutMinutes < 0)
        {
            throw new BuildConfigurationException($"{where}: TimeoutMinutes is {attribute.TimeoutMinutes}; use a positive number, or 0 for the service's default.");
        }

        var targets = attribute.InvokedTargets.Select(name =>
            targetNames.FirstOrDefault(t => t.Equals(name, StringComparison.OrdinalIgnoreCase))
            ?? throw new BuildConfigurationException(
                $"{where} invokes unknown target '{name}'." + (CommandLine.Closest(name, targetNames) is { } closest ? $" Did you mean '{closest}'?" : "") +
                $" Targets: {string.Join(", ", targetNames)}.")).Distinct().ToList();

        var secrets = attribute.ImportSecrets.Concat(attribute.ImportAllSecrets ? parameters.Where(p => p.IsSecret).Select(p => p.Name) : []).Select(name =>
        {
            var parameter = parameters.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                ?? throw new BuildConfigurationException(
                    $"{where} imports secret '{name}', which is not a [Parameter] of the build." +
                    (CommandLine.Closest(name, parameters.Where(p => p.IsSecret).Select(p => p.Name)) is { } closest ? $" Did you mean '{closest}'?" : ""));
            return parameter.IsSecret
                ? new CiSecret(parameter.Name, parameter.EnvironmentName)
                : throw new BuildConfigurationException(
                    $"{where} imports '{parameter.Name}' as a secret, but the parameter is not [Secret]: mark it [Secret] so the engine masks it, or do not import it.");
        }).DistinctBy(s => s.ParameterName).OrderBy(s => s.EnvironmentName, StringComparer.Ordinal).ToList();

        var concurrencyGroup = !string.IsNullOrWhiteSpace(attribute.ConcurrencyGroup) ? attribute.ConcurrencyGroup
            : !string.IsNullOrWhiteSpace(attribute.Environment) ? $"deploy-{attribute.Environment}"
            : null;

        return new CiJob(
            attribute,
            attribute.OnPushBranches.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
            attribute.OnPullRequestBranches.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
            targets,
            secrets,
            concurrencyGroup,
            attribute.After.Distinct(StringComparer.Ordinal).ToList());
    }

    /// <summary>Topological by After; among ready jobs the first by name, so attribute order (which reflection does not promise) never matters.</summary>
    private static List<CiJob> Order(List<CiJob> jobs, string fileName)
    {
        var ordered = new List<CiJob>();
        var remaining = jobs.OrderBy(j => j.Name, StringComparer.Ordinal).ToList();
        while (remaining.Count > 0)
        {
            var ready = remaining.FirstOrDefault(j => j.After.All(a => ordered.Any(o => o.Name == a)))
                ?? throw new BuildConfigurationException(
                    $"{fileName}: the jobs {string.Join(", ", remaining.Select(j => j.Name))} wait on each other through After; remove one of those relations.");
            ordered.Add(ready);
            remaining.Remove(ready);
        }
        return ordered;
    }

    public static string AttributeName(CiJobAttribute attribute) => attribute.GetType().Name[..^"Attribute".Length];

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex JobNamePattern();
}
