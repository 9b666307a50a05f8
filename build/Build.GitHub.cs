using Slipway.Build;
using Slipway.Delivery.GitHub;
using Slipway.Delivery.Versioning;

partial class Build
{
    // Named Github*, not GitHub*, so the options read as --github-token and GITHUB_TOKEN (CI's own variable).
    [Parameter("GitHub token (contents, pull requests, deployments, statuses: write). With a config repo on GitHub it turns on promotion pull requests, GitHub Deployments and commit statuses"), Secret]
    readonly string? GithubToken = null;

    [Parameter("GitHub host of the config and source repos: github.com (default) or a GitHub Enterprise Server host")]
    readonly string GithubHost = "github.com";

    [Parameter("GitHub REST API address (default https://api.github.com/ for github.com, https://<host>/ for Enterprise Server, where /api/v3/ is appended)")]
    readonly string? GithubApiUrl = null;

    [Parameter("The config repo on GitHub as owner/name, when --config-repo does not say it (a mirror or an SSH alias)")]
    readonly string? GithubConfigRepo = null;

    [Parameter("The source repo on GitHub as owner/name for commit statuses (default: this checkout's origin remote)")]
    readonly string? GithubSourceRepo = null;

    [Parameter("Status contexts or check runs that must be green before a promotion pull request is merged (default: all reported)")]
    readonly string[] GithubRequiredChecks = [];

    [Parameter("How long a promotion pull request waits for its checks before it is left unmerged, in seconds")]
    readonly int GithubChecksTimeoutSeconds = 1800;

    TimeSpan GithubChecksTimeout => TimeSpan.FromSeconds(GithubChecksTimeoutSeconds);

    GitHubDelivery? gitHub;
    bool gitHubResolved;

    /// <summary>
    /// The GitHub features when the config repo lives on GitHub and a token was given; null otherwise (one log line says
    /// why), and the pipeline commits to the config repo directly, as on the embedded default.
    /// </summary>
    async Task<GitHubDelivery?> OpenGitHubAsync()
    {
        if (gitHubResolved)
        {
            return gitHub;
        }
        var configUrl = GithubConfigRepo is { } configName ? RepositoryUrl(configName, "--github-config-repo") : OpenConfigRepository().Options.Url;
        var sourceUrl = GithubSourceRepo is { } sourceName
            ? RepositoryUrl(sourceName, "--github-source-repo")
            : await GitVersioning.ReadSourceUrlAsync(RootDirectory, CancellationToken);
        gitHub = GitHubDelivery.TryCreate(configUrl, sourceUrl, GithubOptions(), Log);
        gitHubResolved = true;
        return gitHub;
    }

    /// <summary>How to reach GitHub, from the --github-* parameters.</summary>
    GitHubOptions GithubOptions() => new()
    {
        Token = GithubToken ?? "",
        Host = GithubHost,
        ApiBaseAddress = GithubApiUrl is null ? null : new Uri(GithubApiUrl.EndsWith('/') ? GithubApiUrl : GithubApiUrl + "/"),
        RequiredChecks = GithubRequiredChecks,
    };

    string RepositoryUrl(string ownerAndName, string option)
    {
        var url = $"https://{GithubHost}/{ownerAndName.Trim('/')}.git";
        if (!GitHubRepository.TryParse(url, GithubHost, out _, out var reason))
        {
            throw new ArgumentException($"{option} '{ownerAndName}' is not owner/name ({reason}); for example acme/config.");
        }
        return url;
    }

    /// <summary>
    /// Runs <paramref name="deploy"/> (waiting until <paramref name="environment"/> serves config commit <paramref name="revision"/>)
    /// inside a GitHub Deployment and a commit status on the source commit, when GitHub is on and the commit
    /// <paramref name="changed"/> the environment; otherwise just runs it (an unchanged environment is no new deploy).
    /// </summary>
    async Task<T> TrackOnGitHubAsync<T>(string environment, string revision, bool changed, Func<Task<T>> deploy)
    {
        if (!changed || await OpenGitHubAsync() is not { } github)
        {
            return await deploy();
        }
        var repository = OpenConfigRepository();
        var trailers = (await repository.HistoryAsync(environment, CancellationToken)).FirstOrDefault(c => c.Sha == revision)?.Deployment;
        if (trailers is null)
        {
            Log.Warning("Config commit {Revision} of {Environment} has no deployment trailers: no GitHub deployment is recorded for it", Short(revision), environment);
            return await deploy();
        }
        var port = (await repository.ReadEnvironmentAsync(environment, revision, CancellationToken))?.HostPort;
        var notice = new DeploymentNotice(revision, trailers, port is null ? null : new Uri($"http://127.0.0.1:{port}/"));
        return await github.TrackDeploymentAsync(notice, _ => deploy(), CancellationToken);
    }
}
