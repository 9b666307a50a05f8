using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Metrics;
using Slipway.Delivery.Tests.ConfigRepo;
using Slipway.Testing;

namespace Slipway.Delivery.Tests.Metrics;

/// <summary>
/// Throw-away real Git repositories with a history written at chosen instants: a service's source repo and a config repo
/// (bare, with a clone the test commits through git directly, so committer dates and trailers are exactly as given).
/// </summary>
public sealed class DeliveryHistory : IDisposable
{
    private readonly GitSandbox sandbox = new();
    private readonly Dictionary<string, string> imageOfSource = [];
    private readonly Dictionary<string, string> timeOfSource = [];
    private int images;
    private bool sourceFileTracked;
    private bool pushDeferred;

    private DeliveryHistory() { }

    public string SourceDirectory => Path.Combine(sandbox.Root, "source");
    private string ConfigClone => Path.Combine(sandbox.Root, "writer");
    public CollectingSink Logs => sandbox.Logs;
    public string Root => sandbox.Root;

    public static async Task<DeliveryHistory> CreateAsync()
    {
        var history = new DeliveryHistory();
        Directory.CreateDirectory(history.SourceDirectory);
        await GitAsync(history.SourceDirectory, null, "init", "-q", "--initial-branch=main");
        await GitAsync(history.sandbox.Root, null, "init", "-q", "--bare", "--initial-branch=main", history.sandbox.BareRepository);
        await GitAsync(history.sandbox.Root, null, "clone", "-q", history.sandbox.BareRepository, history.ConfigClone);
        await File.WriteAllTextAsync(Path.Combine(history.ConfigClone, "README.md"), "config repo\n");
        await GitAsync(history.ConfigClone, "2026-01-01T00:00:00Z", "add", "README.md");
        await GitAsync(history.ConfigClone, "2026-01-01T00:00:00Z", "commit", "-q", "-m", "Seed the config repo");
        await GitAsync(history.ConfigClone, null, "push", "-q", "origin", "HEAD:main");
        return history;
    }

    /// <summary>A reader's view of the config repo (its own clone, like another machine's).</summary>
    public ConfigRepository Repository(string clone = "reader") => sandbox.Repository(clone);

    /// <summary>A source commit made at <paramref name="when"/> (ISO 8601 with offset); returns its id.</summary>
    public async Task<string> SourceCommitAsync(string when, string message = "change")
    {
        await File.AppendAllTextAsync(Path.Combine(SourceDirectory, "app.txt"), $"{message} {when}\n");
        if (sourceFileTracked)
            await GitAsync(SourceDirectory, when, "commit", "-q", "-a", "-m", message);
        else
        {
            await GitAsync(SourceDirectory, when, "add", "app.txt");
            await GitAsync(SourceDirectory, when, "commit", "-q", "-m", message);
            sourceFileTracked = true;
        }
        var commit = (await GitAsync(SourceDirectory, null, "rev-parse", "HEAD")).Trim();
        timeOfSource[commit] = when;   // its committer date, so a deploy of it need not ask git
        return commit;
    }

    /// <summary>A deploy of <paramref name="sourceCommit"/> committed to environments/&lt;env&gt;/ at <paramref name="when"/>.</summary>
    public Task<string> DeployAsync(string when, string sourceCommit, string? changeType = null, string? fixOf = null, string environment = "production")
    {
        var extra = changeType is null ? [] : ChangeTrailers.ToLines(changeType, fixOf);
        return CommitAsync(when, environment, sourceCommit, $"Deploy {sourceCommit[..8]} to {environment}", null, extra);
    }

    /// <summary>A rollback at <paramref name="when"/> reverting <paramref name="configCommit"/>, putting <paramref name="restoredSource"/> back.</summary>
    public Task<string> RollbackAsync(string when, string configCommit, string restoredSource, string environment = "production") =>
        CommitAsync(when, environment, restoredSource, $"Roll back {environment}: revert {configCommit[..12]}", configCommit, []);

    /// <summary>A SetFlag commit at <paramref name="when"/>: the ConfigMap changes, the image and source stay those of <paramref name="sourceCommit"/>.</summary>
    public Task<string> SetFlagAsync(string when, string sourceCommit, string flag, string environment = "production") =>
        CommitAsync(when, environment, sourceCommit, $"Set {flag} in {environment}", null, [$"{FlagCommitter.FlagTrailerKey}: {flag}"], flag);

    private async Task<string> CommitAsync(string when, string environment, string sourceCommit, string subject, string? rollbackOf, IReadOnlyList<string> extra,
        string? flag = null)
    {
        if (!imageOfSource.TryGetValue(sourceCommit, out var image))
            imageOfSource[sourceCommit] = image = "127.0.0.1:5000/beacon@sha256:" + (++images).ToString("x64");
        var sourceTime = timeOfSource.TryGetValue(sourceCommit, out var known) ? known
            : (await GitAsync(SourceDirectory, null, "log", "-1", "--format=%cI", sourceCommit)).Trim();
        var folder = Path.Combine(ConfigClone, "environments", environment);
        Directory.CreateDirectory(folder);
        if (flag is null) await File.WriteAllTextAsync(Path.Combine(folder, "deployment.yaml"), $"image: {image}\n");
        else await File.WriteAllTextAsync(Path.Combine(folder, "configmap.yaml"), $"flag: {flag}\n");
        var trailers = new DeploymentTrailers(environment, image, sourceCommit, DateTimeOffset.Parse(sourceTime, System.Globalization.CultureInfo.InvariantCulture),
            "run-" + when, rollbackOf).ToLines().Concat(extra);
        var message = $"{subject}\n\n{string.Join('\n', trailers)}\n";
        await GitAsync(ConfigClone, when, "add", "-A");
        await RunGitAsync(ConfigClone, when, ["commit", "-q", "--allow-empty", "-F", "-"], message);
        if (!pushDeferred)
            await GitAsync(ConfigClone, null, "push", "-q", "origin", "HEAD:main");
        return (await GitAsync(ConfigClone, null, "rev-parse", "HEAD")).Trim();
    }

    /// <summary>
    /// Runs <paramref name="commits"/> with the config repo's commits pushed once at the end instead of one push each (a
    /// long generated history is mostly pushes otherwise); nothing may read the config repo until it returns.
    /// </summary>
    public async Task InOnePushAsync(Func<Task> commits)
    {
        pushDeferred = true;
        try
        {
            await commits();
        }
        finally
        {
            pushDeferred = false;
        }
        await GitAsync(ConfigClone, null, "push", "-q", "origin", "HEAD:main");
    }

    private static Task<string> GitAsync(string directory, string? when, params string[] arguments) => RunGitAsync(directory, when, arguments, null);

    private static Task<string> RunGitAsync(string directory, string? when, string[] arguments, string? input)
    {
        var environment = new Dictionary<string, string?>
        {
            ["GIT_AUTHOR_NAME"] = "Test", ["GIT_AUTHOR_EMAIL"] = "test@localhost",
            ["GIT_COMMITTER_NAME"] = "Test", ["GIT_COMMITTER_EMAIL"] = "test@localhost",
            ["GIT_CONFIG_GLOBAL"] = "/dev/null", ["GIT_CONFIG_NOSYSTEM"] = "1",
        };
        if (when is not null) environment["GIT_AUTHOR_DATE"] = environment["GIT_COMMITTER_DATE"] = when;
        return TestGit.RunAsync(directory, ["-c", "commit.gpgsign=false", .. arguments], environment, input);
    }

    public void Dispose() => sandbox.Dispose();
}
