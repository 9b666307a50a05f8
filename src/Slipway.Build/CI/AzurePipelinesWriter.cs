namespace Slipway.Build;

/// <summary>
/// Writes azure-pipelines.yml: one stage per [AzurePipelines] attribute, in dependency order. A job with an environment
/// or a concurrency group is a deployment job on that environment, in a stage with <c>lockBehavior: sequential</c>.
/// </summary>
internal static class AzurePipelinesWriter
{
    public const string RelativePath = "azure-pipelines.yml";

    public static string Write(CiFileJobs file)
    {
        var document = new YamlMap
        {
            { "trigger", file.PushBranches.Count == 0 ? "none" : Include(file.PushBranches) },
            { "pr", file.PullRequestBranches.Count == 0 ? "none" : Include(file.PullRequestBranches) },
            { "stages", new YamlList(file.Jobs.Select(j => (object)Stage(j, file))) },
        };
        var secretsNote = $"secrets (secret pipeline variables named after the parameters): {string.Join(", ", file.Secrets.Select(s => s.ParameterName))}";
        return YamlText.Render(CiHeader.Lines("AzurePipelines", file, secretsNote), document);
    }

    private static YamlMap Stage(CiJob job, CiFileJobs file)
    {
        var attribute = (AzurePipelinesAttribute)job.Attribute;
        var environment = attribute.Environment ?? job.ConcurrencyGroup;
        var condition = job.RunsOnEveryTriggerOf(file.PushBranches, file.PullRequestBranches) ? null : $"and(succeeded(), {Condition(job)})";
        var stage = new YamlMap
        {
            { "stage", job.Name },
            { "displayName", job.Name },
        };
        // Stages depend on the previous one unless told otherwise; say exactly what the job waits for.
        stage.AddEvenWhenEmpty("dependsOn", new YamlList(job.After));
        stage.Add("condition", condition);
        stage.Add("lockBehavior", environment is null ? null : "sequential");
        stage.Add("pool", new YamlMap { { "vmImage", attribute.VmImage } });
        stage.Add("jobs", new YamlList { environment is null ? Job(job, attribute) : Deployment(job, attribute, environment) });
        return stage;
    }

    private static YamlMap Job(CiJob job, AzurePipelinesAttribute attribute) => new()
    {
        { "job", job.Name },
        { "displayName", job.Command },
        { "timeoutInMinutes", attribute.TimeoutMinutes == 0 ? null : attribute.TimeoutMinutes },
        { "steps", Steps(job, attribute) },
    };

    private static YamlMap Deployment(CiJob job, AzurePipelinesAttribute attribute, string environment) => new()
    {
        { "deployment", job.Name },
        { "displayName", job.Command },
        { "environment", environment }, // its exclusive lock check serializes runs (lockBehavior on the stage)
        { "timeoutInMinutes", attribute.TimeoutMinutes == 0 ? null : attribute.TimeoutMinutes },
        { "strategy", new YamlMap { { "runOnce", new YamlMap { { "deploy", new YamlMap { { "steps", Steps(job, attribute) } } } } } } },
    };

    private static YamlList Steps(CiJob job, AzurePipelinesAttribute attribute)
    {
        var env = new YamlMap();
        foreach (var secret in job.Secrets)
        {
            env.Add(secret.EnvironmentName, $"$({secret.ParameterName})"); // secret variables reach scripts only when mapped
        }
        var steps = new YamlList
        {
            // Explicit: deployment jobs do not check out by default; full history for commit times and trailers.
            new YamlMap { { "checkout", "self" }, { "fetchDepth", 0 } },
            new YamlMap { { "script", job.Command }, { "displayName", job.Command }, { "env", env } },
        };
        if (attribute.PublishArtifacts)
        {
            steps.Add(new YamlMap
            {
                { "task", "PublishPipelineArtifact@1" },
                { "displayName", "Publish .nuke/artifacts" },
                { "condition", "always()" },
                { "continueOnError", true }, // a run that failed before writing artifacts must not fail here too
                { "inputs", new YamlMap { { "targetPath", ".nuke/artifacts" }, { "artifact", job.Name } } },
            });
        }
        return steps;
    }

    private static string Condition(CiJob job)
    {
        var parts = new List<string>();
        if (job.PushBranches.Count > 0)
        {
            parts.Add($"and(ne(variables['Build.Reason'], 'PullRequest'), in(variables['Build.SourceBranch'], {string.Join(", ", job.PushBranches.Select(b => $"'refs/heads/{b}'"))}))");
        }
        if (job.PullRequestBranches.Count > 0)
        {
            // Azure Repos gives refs/heads/<branch>, GitHub repositories the bare name.
            parts.Add($"and(eq(variables['Build.Reason'], 'PullRequest'), in(variables['System.PullRequest.TargetBranch'], {string.Join(", ", job.PullRequestBranches.SelectMany(b => new[] { $"'{b}'", $"'refs/heads/{b}'" }))}))");
        }
        return parts.Count == 1 ? parts[0] : $"or({string.Join(", ", parts)})";
    }

    private static YamlMap Include(IReadOnlyList<string> branches) =>
        new() { { "branches", new YamlMap { { "include", new YamlList(branches) } } } };
}
