namespace Slipway.Build.Tests;

public class CiHostTests
{
    [Fact]
    public void Detects_each_host_and_its_run_metadata()
    {
        static CiHost Detect(params (string, string)[] variables) => CiHost.Detect(variables.ToDictionary(v => v.Item1, v => (string?)v.Item2));

        Assert.Equal(new CiHost(CiHostName.GitHubActions, "123", "main", "abc"),
            Detect(("GITHUB_ACTIONS", "true"), ("GITHUB_RUN_ID", "123"), ("GITHUB_REF_NAME", "main"), ("GITHUB_SHA", "abc"), ("CI", "true")));
        Assert.Equal(new CiHost(CiHostName.GitHubActions, "7", "feature/x", "abc"),
            Detect(("GITHUB_ACTIONS", "true"), ("GITHUB_RUN_ID", "7"), ("GITHUB_REF_NAME", "12/merge"), ("GITHUB_HEAD_REF", "feature/x"), ("GITHUB_SHA", "abc")));
        Assert.Equal(new CiHost(CiHostName.GitLab, "456", "dev", "def"),
            Detect(("GITLAB_CI", "true"), ("CI_PIPELINE_ID", "456"), ("CI_COMMIT_REF_NAME", "dev"), ("CI_COMMIT_SHA", "def"), ("CI", "true")));
        Assert.Equal(new CiHost(CiHostName.AzurePipelines, "789", "release/1.0", "0a1"),
            Detect(("TF_BUILD", "True"), ("BUILD_BUILDID", "789"), ("BUILD_SOURCEBRANCH", "refs/heads/release/1.0"), ("BUILD_SOURCEBRANCHNAME", "1.0"), ("BUILD_SOURCEVERSION", "0a1")));
        Assert.Equal(new CiHost(CiHostName.GenericCi, "42", "main", "fff"),
            Detect(("CI", "true"), ("BUILD_ID", "42"), ("GIT_BRANCH", "main"), ("GIT_COMMIT", "fff")));
        Assert.Equal(new CiHost(CiHostName.Local, null, null, null), Detect(("CI", "false")));
    }

    private sealed class Grouped : SlipwayBuild
    {
        Target Good => _ => _.Executes(() => Log.Information("inside good"));
        Target Bad => _ => _.DependsOn(Good).Executes(() => throw new InvalidOperationException("line one\nline two"));
    }

    private static async Task<string> RunOn(params (string, string)[] variables)
    {
        using var root = new TempRoot();
        var outcome = await root.RunAsync(new Grouped(), variables.ToDictionary(v => v.Item1, v => (string?)v.Item2), "Bad");
        Assert.Equal(BuildRunner.FailureExitCode, outcome.ExitCode);
        return outcome.Output;
    }

    [Fact]
    public async Task GitHub_actions_gets_groups_per_target_and_error_annotations()
    {
        var output = await RunOn(("GITHUB_ACTIONS", "true"), ("GITHUB_RUN_ID", "99"));

        Assert.Matches(@"::group::Good\n(.*\n)*.*inside good\n(.*\n)*::endgroup::\n", output);
        Assert.Contains("::group::Bad\n", output);
        Assert.Contains("::error title=Target Bad failed::line one%0Aline two\n", output);
        Assert.Contains("Running on GitHubActions: run 99, branch -, commit -", output);
    }

    [Fact]
    public async Task Azure_pipelines_gets_groups_and_logissue()
    {
        var output = await RunOn(("TF_BUILD", "True"));

        Assert.Contains("##[group]Good\n", output);
        Assert.Contains("##[endgroup]\n", output);
        Assert.Contains("##vso[task.logissue type=error]Target Bad failed: line one%0Aline two\n", output);
    }

    [Fact]
    public async Task GitLab_gets_collapsible_sections()
    {
        var output = await RunOn(("GITLAB_CI", "true"));

        Assert.Matches("\u001b\\[0Ksection_start:\\d+:slipway_good\\[collapsed=false\\]\r\u001b\\[0KGood\n", output);
        Assert.Matches("\u001b\\[0Ksection_end:\\d+:slipway_good\r\u001b\\[0K\n", output);
    }

    [Fact]
    public async Task Locally_there_are_no_markers()
    {
        var output = await RunOn();

        Assert.DoesNotContain("::group::", output);
        Assert.DoesNotContain("##[group]", output);
        Assert.DoesNotContain("section_start", output);
    }
}
