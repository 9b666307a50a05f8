namespace Slipway.Build;

/// <summary>
/// One CI job, declared on the build class (Nuke-style) and written out by <see cref="CiConfigurations"/>.
/// The job runs <c>./build.sh &lt;InvokedTargets&gt;</c> exactly as a developer would on a laptop.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = true)]
public abstract class CiJobAttribute(string job) : Attribute
{
    /// <summary>The job's id (letters, digits, underscores): unique within its configuration file.</summary>
    public string Job { get; } = job;

    /// <summary>Run on pushes to these branches (exact names).</summary>
    public string[] OnPushBranches { get; set; } = [];

    /// <summary>Run on pull (merge) requests that target these branches (exact names).</summary>
    public string[] OnPullRequestBranches { get; set; } = [];

    /// <summary>Targets passed to ./build.sh; empty runs the build's default target (the whole pipeline).</summary>
    public string[] InvokedTargets { get; set; } = [];

    /// <summary>
    /// Names of [Secret] parameters imported from the CI service's secret store into the job's environment,
    /// under the UPPER_SNAKE names the engine reads (RegistryPassword -> REGISTRY_PASSWORD).
    /// </summary>
    public string[] ImportSecrets { get; set; } = [];

    /// <summary>Import every [Secret] parameter of the build (found by reflection), besides <see cref="ImportSecrets"/>.</summary>
    public bool ImportAllSecrets { get; set; }

    /// <summary>Upload .nuke/artifacts (test results, reports) when the job ends, also when it failed.</summary>
    public bool PublishArtifacts { get; set; }

    /// <summary>The deployment environment the job deploys into (GitHub/GitLab environment, Azure deployment job).</summary>
    public string? Environment { get; set; }

    /// <summary>
    /// Runs of the job sharing this group never overlap (the later one waits). Defaults to <c>deploy-&lt;Environment&gt;</c>
    /// when <see cref="Environment"/> is set. GitHub: <c>concurrency</c>; GitLab: <c>resource_group</c>;
    /// Azure: the stage's <c>lockBehavior: sequential</c> on the environment's exclusive lock.
    /// </summary>
    public string? ConcurrencyGroup { get; set; }

    /// <summary>Jobs (of the same file) that must succeed before this one starts.</summary>
    public string[] After { get; set; } = [];

    /// <summary>Cancel the job after this many minutes; 0 keeps the service's default.</summary>
    public int TimeoutMinutes { get; set; }
}

/// <summary>A job of the GitHub Actions workflow <c>.github/workflows/&lt;workflow&gt;.yml</c>.</summary>
public sealed class GitHubActionsAttribute(string workflow, string job) : CiJobAttribute(job)
{
    /// <summary>The workflow's file name (without .yml) and display name.</summary>
    public string Workflow { get; } = workflow;

    /// <summary>The runner label (<c>runs-on</c>).</summary>
    public string RunsOn { get; set; } = "ubuntu-latest";
}

/// <summary>A job of <c>.gitlab-ci.yml</c>; each job is its own stage, in dependency order.</summary>
public sealed class GitLabCIAttribute(string job) : CiJobAttribute(job)
{
    /// <summary>The job's container image. It needs bash, curl (build.sh installs the SDK when absent), git and a Docker engine.</summary>
    public string Image { get; set; } = "mcr.microsoft.com/dotnet/sdk:10.0";

    /// <summary>Runner tags that select the runner (e.g. one with a Docker engine).</summary>
    public string[] Tags { get; set; } = [];
}

/// <summary>A job of <c>azure-pipelines.yml</c>; each job is its own stage, in dependency order.</summary>
public sealed class AzurePipelinesAttribute(string job) : CiJobAttribute(job)
{
    /// <summary>The Microsoft-hosted image (<c>pool: vmImage</c>).</summary>
    public string VmImage { get; set; } = "ubuntu-latest";
}

/// <summary>
/// Marks the target that rewrites the CI configurations (it calls <see cref="CiConfigurations.Write"/>): when it is
/// invoked, the engine skips its check that the committed configurations are up to date, so a stale file can be refreshed.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RefreshesCiConfigurationsAttribute : Attribute;
