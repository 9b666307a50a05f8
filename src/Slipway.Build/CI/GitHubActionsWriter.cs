namespace Slipway.Build;

/// <summary>Writes a GitHub Actions workflow: one job per [GitHubActions] attribute of the workflow.</summary>
internal static class GitHubActionsWriter
{
    public static string RelativePath(string workflow) => $".github/workflows/{workflow}.yml";

    public static string Write(string workflow, CiFileJobs file)
    {
        var on = new YamlMap();
        if (file.PushBranches.Count > 0)
        {
            on.Add("push", new YamlMap { { "branches", List(file.PushBranches) } });
        }
        if (file.PullRequestBranches.Count > 0)
        {
            on.Add("pull_request", new YamlMap { { "branches", List(file.PullRequestBranches) } });
        }

        var jobs = new YamlMap();
        foreach (var job in file.Jobs)
        {
            jobs.Add(job.Name, Job(job, file));
        }

        var document = new YamlMap
        {
            { "name", workflow },
            { "on", on },
            { "permissions", new YamlMap { { "contents", "read" } } },
            { "jobs", jobs },
        };
        var secretsNote = $"secrets (repository or environment secrets): {string.Join(", ", file.Secrets.Select(s => s.EnvironmentName))}";
        return YamlText.Render(CiHeader.Lines("GitHubActions", file, secretsNote), document);
    }

    private static YamlMap Job(CiJob job, CiFileJobs file)
    {
        var attribute = (GitHubActionsAttribute)job.Attribute;
        var steps = new YamlList
        {
            new YamlMap
            {
                { "name", "Check out with full history" }, // the pipeline reads commit times and trailers
                { "uses", "actions/checkout@v4" },
                { "with", new YamlMap { { "fetch-depth", 0 } } },
            },
            new YamlMap
            {
                { "name", job.Command },
                { "run", job.Command },
                { "env", Secrets(job) },
            },
        };
        if (attribute.PublishArtifacts)
        {
            steps.Add(new YamlMap
            {
                { "name", "Publish .nuke/artifacts" },
                { "if", "always()" },
                { "uses", "actions/upload-artifact@v4" },
                {
                    "with", new YamlMap
                    {
                        { "name", job.Name },
                        { "path", ".nuke/artifacts" },
                        { "if-no-files-found", "ignore" },
                    }
                },
            });
        }

        return new YamlMap
        {
            { "name", job.Name },
            { "runs-on", attribute.RunsOn },
            { "needs", job.After.Count == 0 ? null : List(job.After) },
            { "if", job.RunsOnEveryTriggerOf(file.PushBranches, file.PullRequestBranches) ? null : Condition(job) },
            { "environment", attribute.Environment },
            {
                "concurrency", job.ConcurrencyGroup is null ? null : new YamlMap
                {
                    { "group", job.ConcurrencyGroup },
                    { "cancel-in-progress", false }, // a deployment half done must finish; the next run waits
                }
            },
            { "timeout-minutes", attribute.TimeoutMinutes == 0 ? null : attribute.TimeoutMinutes },
            { "steps", steps },
        };
    }

    private static YamlMap Secrets(CiJob job)
    {
        var env = new YamlMap();
        foreach (var secret in job.Secrets)
        {
            env.Add(secret.EnvironmentName, $"${{{{ secrets.{secret.EnvironmentName} }}}}");
        }
        return env;
    }

    private static string Condition(CiJob job)
    {
        var parts = new List<string>();
        if (job.PushBranches.Count > 0)
        {
            parts.Add($"github.event_name == 'push' && {AnyOf(job.PushBranches.Select(b => $"github.ref == 'refs/heads/{b}'"))}");
        }
        if (job.PullRequestBranches.Count > 0)
        {
            parts.Add($"github.event_name == 'pull_request' && {AnyOf(job.PullRequestBranches.Select(b => $"github.base_ref == '{b}'"))}");
        }
        return parts.Count == 1 ? parts[0] : string.Join(" || ", parts.Select(p => $"({p})"));
    }

    private static string AnyOf(IEnumerable<string> comparisons) =>
        comparisons.ToList() is [var single] ? single : $"({string.Join(" || ", comparisons)})";

    private static YamlList List(IEnumerable<string> items) => new(items);
}
