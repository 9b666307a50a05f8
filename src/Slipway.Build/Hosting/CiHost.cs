namespace Slipway.Build;

public enum CiHostName
{
    Local,
    GitHubActions,
    GitLab,
    AzurePipelines,
    GenericCi,
}

/// <summary>Where the build runs and the run's metadata, read from the build's environment.</summary>
public sealed record CiHost(CiHostName Name, string? RunId, string? Branch, string? Commit)
{
    public bool IsCi => Name != CiHostName.Local;

    public static CiHost Detect(IReadOnlyDictionary<string, string?> environment)
    {
        string? Get(string name) => environment.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null;
        bool IsTrue(string name) => Get(name) is { } value && (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1");

        if (IsTrue("GITHUB_ACTIONS"))
        {
            // On pull requests GITHUB_REF_NAME is "<n>/merge"; the head branch is the meaningful one.
            return new CiHost(CiHostName.GitHubActions, Get("GITHUB_RUN_ID"), Get("GITHUB_HEAD_REF") ?? Get("GITHUB_REF_NAME"), Get("GITHUB_SHA"));
        }
        if (IsTrue("GITLAB_CI"))
        {
            return new CiHost(CiHostName.GitLab, Get("CI_PIPELINE_ID"),
                Get("CI_COMMIT_BRANCH") ?? Get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME") ?? Get("CI_COMMIT_REF_NAME"), Get("CI_COMMIT_SHA"));
        }
        if (IsTrue("TF_BUILD"))
        {
            var branch = Get("BUILD_SOURCEBRANCH") is { } reference && reference.StartsWith("refs/heads/", StringComparison.Ordinal)
                ? reference["refs/heads/".Length..]
                : Get("BUILD_SOURCEBRANCHNAME");
            return new CiHost(CiHostName.AzurePipelines, Get("BUILD_BUILDID"), branch, Get("BUILD_SOURCEVERSION"));
        }
        if (IsTrue("CI"))
        {
            return new CiHost(CiHostName.GenericCi, Get("CI_RUN_ID") ?? Get("BUILD_ID") ?? Get("BUILD_NUMBER"),
                Get("CI_BRANCH") ?? Get("GIT_BRANCH") ?? Get("BRANCH_NAME"), Get("CI_COMMIT") ?? Get("GIT_COMMIT"));
        }
        return new CiHost(CiHostName.Local, null, null, null);
    }
}
