namespace Slipway.Build;

/// <summary>Writes .gitlab-ci.yml: one job per [GitLabCI] attribute, each in its own stage, in dependency order.</summary>
internal static class GitLabCiWriter
{
    public const string RelativePath = ".gitlab-ci.yml";

    public static string Write(CiFileJobs file)
    {
        var document = new YamlMap
        {
            // Pipelines only for the declared triggers (and no duplicate branch + merge request pipelines).
            { "workflow", new YamlMap { { "rules", Rules(file.PushBranches, file.PullRequestBranches) } } },
            { "stages", new YamlList(file.Jobs.Select(j => (object)j.Name)) },
            { "variables", new YamlMap { { "GIT_DEPTH", "0" } } }, // full history: the pipeline reads commit times and trailers
        };
        foreach (var job in file.Jobs)
        {
            document.Add(job.Name, Job(job, file));
        }
        var secretsNote = $"secrets (masked CI/CD variables named after the parameters): {string.Join(", ", file.Secrets.Select(s => s.ParameterName))}";
        return YamlText.Render(CiHeader.Lines("GitLabCI", file, secretsNote), document);
    }

    private static YamlMap Job(CiJob job, CiFileJobs file)
    {
        var attribute = (GitLabCIAttribute)job.Attribute;
        var variables = new YamlMap();
        foreach (var secret in job.Secrets)
        {
            variables.Add(secret.EnvironmentName, $"${secret.ParameterName}");
        }
        return new YamlMap
        {
            { "stage", job.Name },
            { "image", attribute.Image },
            { "tags", attribute.Tags.Length == 0 ? null : new YamlList(attribute.Tags) },
            { "needs", job.After.Count == 0 ? null : new YamlList(job.After) },
            { "rules", job.RunsOnEveryTriggerOf(file.PushBranches, file.PullRequestBranches) ? null : Rules(job.PushBranches, job.PullRequestBranches) },
            { "environment", attribute.Environment is null ? null : new YamlMap { { "name", attribute.Environment } } },
            { "resource_group", job.ConcurrencyGroup },
            { "timeout", attribute.TimeoutMinutes == 0 ? null : $"{attribute.TimeoutMinutes} minutes" },
            { "variables", variables },
            { "script", new YamlList { job.Command } },
            {
                "artifacts", !attribute.PublishArtifacts ? null : new YamlMap
                {
                    { "name", job.Name },
                    { "when", "always" },
                    { "paths", new YamlList { ".nuke/artifacts/" } },
                }
            },
        };
    }

    private static YamlList Rules(IReadOnlyList<string> pushBranches, IReadOnlyList<string> pullRequestBranches)
    {
        var rules = new YamlList();
        foreach (var branch in pullRequestBranches)
        {
            rules.Add(new YamlMap { { "if", $"$CI_PIPELINE_SOURCE == \"merge_request_event\" && $CI_MERGE_REQUEST_TARGET_BRANCH_NAME == \"{branch}\"" } });
        }
        foreach (var branch in pushBranches)
        {
            rules.Add(new YamlMap { { "if", $"$CI_PIPELINE_SOURCE == \"push\" && $CI_COMMIT_BRANCH == \"{branch}\"" } });
        }
        return rules;
    }
}
