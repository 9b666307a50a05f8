using System.Globalization;
using Polly;
using Polly.Retry;
using Slipway.Delivery.Git;
using Slipway.Delivery.Manifests;

namespace Slipway.Delivery.ConfigRepo;

/// <summary>
/// The config repo through the git CLI: a clone in a work directory, commits pushed with a bounded
/// fetch-rebase-retry on non-fast-forward (so concurrent pipelines never lose an update), and the read side
/// (history with trailers, an environment's files at a revision). All reads see the remote's latest branch.
/// </summary>
public sealed partial class ConfigRepository
{
    private const string SeedMessage = "Seed the config repo\n\nEnvironments live in environments/<env>/ as plain Kubernetes YAML, one commit per deployment.\n";
    private const string SeedReadme = """
        # Config repo

        The desired state of every environment, written by Slipway's pipeline and applied by its agent (pull-based GitOps).

        - `environments/<env>/` holds plain Kubernetes YAML (deployment.yaml, service.yaml, configmap.yaml), image pinned by digest.
        - Every commit carries trailers (`Slipway-Environment`, `Slipway-Image`, `Slipway-Source-Commit`, `Slipway-Source-Time`,
          `Slipway-Run`, and `Slipway-Rollback-Of` for a rollback): the deployment history DORA metrics are computed from.
        - Do not edit by hand: deploy with `./build.sh Deploy --environment <env>`, roll back by reverting.

        """;

    private readonly ConfigRepositoryOptions options;
    private readonly Serilog.ILogger log;
    private readonly GitCli git;
    private readonly ResiliencePipeline pushRetry;

    public ConfigRepository(ConfigRepositoryOptions options, Serilog.ILogger log)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxPushAttempts < 2) throw new ArgumentOutOfRangeException(nameof(options), "MaxPushAttempts must be at least 2");
        this.options = options;
        this.log = log.ForContext<ConfigRepository>();
        git = new GitCli(options.Token, options.TokenUser, options.AuthorName, options.AuthorEmail, this.log);
        pushRetry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<PushRejectedException>(),
                MaxRetryAttempts = options.MaxPushAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryDelay,
                OnRetry = arguments =>
                {
                    this.log.Information("Config repo moved while pushing; rebasing and retrying (attempt {Attempt} of {Max}) in {Delay:0} ms",
                        arguments.AttemptNumber + 2, options.MaxPushAttempts, arguments.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    public ConfigRepositoryOptions Options => options;

    /// <summary>The URL as safe to show (a password in it masked).</summary>
    public string DisplayUrl => git.Masker.Mask(options.Url);

    /// <summary>Fetches the remote and returns the head of the branch (seeding an empty repo first).</summary>
    public async Task<string> SyncAsync(CancellationToken cancellationToken = default)
    {
        await using var _ = await LockAsync(cancellationToken);
        return await SyncLockedAsync(cancellationToken);
    }

    /// <summary>
    /// True when <paramref name="descendant"/> contains <paramref name="ancestor"/> (is it or comes after it), after a
    /// fetch: a deploy whose commit was followed by another pipeline's is still in the environment's history.
    /// </summary>
    public async Task<bool> ContainsAsync(string descendant, string ancestor, CancellationToken cancellationToken = default)
    {
        await using var _ = await LockAsync(cancellationToken);
        // Ancestry never changes: with both commits in the clone already (a wait polling the agent asks this several
        // times), the answer needs no fetch. Exit 1 is "not an ancestor"; anything else is a commit the clone lacks.
        if (Directory.Exists(Path.Combine(options.WorkDirectory, ".git")) &&
            await git.RunAsync(options.WorkDirectory, ["merge-base", "--is-ancestor", ancestor, descendant], cancellationToken: cancellationToken) is { ExitCode: 0 or 1 } known)
            return known.Succeeded;
        await SyncLockedAsync(cancellationToken);
        var result = await git.RunAsync(options.WorkDirectory, ["merge-base", "--is-ancestor", ancestor, descendant], cancellationToken: cancellationToken);
        return result.Succeeded;
    }

    /// <summary>
    /// Commits a change on top of the remote's latest branch and pushes it. <paramref name="apply"/> writes the change
    /// into the work tree (it is re-run on a fresh tree if a rebase conflicts); only <paramref name="pathspec"/> is staged
    /// (null: <paramref name="apply"/> stages its own changes).
    /// Nothing to commit: no commit, <see cref="CommitResult.Changed"/> false.
    /// </summary>
    /// <param name="fetchFirst">
    /// False when the caller has just read the remote's head through this instance (a rollback reads the history first):
    /// the change is made on the clone as that read left it, without another fetch. Should the remote have moved since,
    /// the push is refused and retried on its newer head, as for any commit that loses a race.
    /// </param>
    public async Task<CommitResult> CommitAsync(string? pathspec, Func<string, CancellationToken, Task> apply, string message,
        CancellationToken cancellationToken = default, bool fetchFirst = true)
    {
        await using var _ = await LockAsync(cancellationToken);
        if (fetchFirst || !Directory.Exists(Path.Combine(options.WorkDirectory, ".git"))) await SyncLockedAsync(cancellationToken);
        var work = options.WorkDirectory;
        var attempts = 0;
        var committed = false;
        var behindRemote = false;
        try
        {
            return await pushRetry.ExecuteAsync(async token =>
            {
                attempts++;
                // Rebase right before pushing (after the backoff delay), so the window for another push is short.
                if (behindRemote && committed)
                {
                    await FetchAsync(token);
                    var rebase = await git.RunAsync(work, ["rebase", "-q", RemoteBranch], cancellationToken: token);
                    if (!rebase.Succeeded)
                    {
                        // Someone changed the same files: start over from their state and apply ours again (latest wins).
                        await git.RunAsync(work, ["rebase", "--abort"], cancellationToken: token);
                        committed = false;
                    }
                    else if (await RevParseAsync("HEAD", token) == await RevParseAsync(RemoteBranch, token))
                    {
                        log.Information("After rebasing, the remote already has this change: nothing to push");
                        return new CommitResult(await RevParseAsync(RemoteBranch, token), Changed: false, attempts);
                    }
                }
                if (!committed)
                {
                    if (behindRemote) await FetchAsync(token);
                    // The first attempt starts from the tree the sync above has just reset.
                    if (attempts > 1) await ResetToRemoteAsync(token);
                    if (!await ApplyAndCommitAsync(pathspec, apply, message, token))
                        return new CommitResult(await RevParseAsync(RemoteBranch, token), Changed: false, attempts);
                    committed = true;
                }

                var push = await git.RunAsync(work, ["push", "--porcelain", "origin", $"HEAD:refs/heads/{options.Branch}"],
                    authenticate: true, cancellationToken: token);
                if (push.Succeeded)
                {
                    var sha = await RevParseAsync("HEAD", token);
                    log.Information("Pushed {Sha} to {Url} ({Attempts} attempt(s))", sha[..12], DisplayUrl, attempts);
                    return new CommitResult(sha, Changed: true, attempts);
                }
                if (!IsRejectedBecauseRemoteMoved(push.StandardOutput + push.StandardError))
                    throw git.Failure(push, "check the config repo URL and token (--config-repo, --config-repo-token)");
                behindRemote = true;
                throw new PushRejectedException();
            }, cancellationToken);
        }
        catch (PushRejectedException)
        {
            await TryResetToRemoteAsync();
            throw new GitException($"could not push to {DisplayUrl} after {attempts} attempts: other pipelines kept moving " +
                                   $"'{options.Branch}'; run again, or raise the attempt limit");
        }
        catch
        {
            await TryResetToRemoteAsync();
            throw;
        }
    }

    /// <summary>
    /// Commits a change on top of the remote's latest branch and force-pushes it to <paramref name="branch"/> instead of
    /// the branch the agent follows: the change of a promotion pull request. The branch is Slipway's own, so a re-run
    /// rebuilds it on the latest state. Nothing to commit: no branch is pushed, <see cref="BranchCommit.Changed"/> false.
    /// The work directory is left on the remote branch either way.
    /// </summary>
    public async Task<BranchCommit> CommitToBranchAsync(string branch, string pathspec, Func<string, CancellationToken, Task> apply, string message,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(branch);
        if (branch == options.Branch)
            throw new ArgumentException($"'{branch}' is the branch the agent follows; commit there with CommitAsync", nameof(branch));
        await using var _ = await LockAsync(cancellationToken);
        var baseSha = await SyncLockedAsync(cancellationToken);
        var work = options.WorkDirectory;
        try
        {
            if (!await ApplyAndCommitAsync(pathspec, apply, message, cancellationToken))
                return new BranchCommit(branch, baseSha, baseSha, Changed: false, DiffStat: "");
            var sha = await RevParseAsync("HEAD", cancellationToken);
            var diffStat = (await git.RunCheckedAsync(work, ["diff", "--stat", "--no-color", baseSha, sha], cancellationToken: cancellationToken)).TrimEnd();
            var push = await git.RunAsync(work, ["push", "--porcelain", "--force", "origin", $"HEAD:refs/heads/{branch}"],
                authenticate: true, cancellationToken: cancellationToken);
            if (!push.Succeeded) throw git.Failure(push, $"check that the config repo accepts pushes to {branch} with this token (--config-repo-token)");
            log.Information("Pushed {Sha} to branch {Branch} of {Url} (on {Base})", sha[..12], branch, DisplayUrl, baseSha[..12]);
            return new BranchCommit(branch, sha, baseSha, Changed: true, diffStat);
        }
        finally
        {
            await TryResetToRemoteAsync();
        }
    }

    /// <summary>
    /// Writes the change into the work tree (<paramref name="apply"/>), stages <paramref name="pathspec"/> (null: apply
    /// staged its own) and commits it; false, with nothing committed, when the tree already had it.
    /// </summary>
    private async Task<bool> ApplyAndCommitAsync(string? pathspec, Func<string, CancellationToken, Task> apply, string message,
        CancellationToken cancellationToken)
    {
        var work = options.WorkDirectory;
        await apply(work, cancellationToken);
        if (pathspec is not null) await git.RunCheckedAsync(work, ["add", "-A", "--", pathspec], cancellationToken: cancellationToken);
        if ((await git.RunAsync(work, ["diff", "--cached", "--quiet"], cancellationToken: cancellationToken)).Succeeded)
        {
            log.Information("Config repo already has this change ({Pathspec}): nothing to commit", pathspec ?? "the files it staged");
            return false;
        }
        await git.RunCheckedAsync(work, ["commit", "-q", "--no-verify", "-F", "-"], input: message, cancellationToken: cancellationToken);
        return true;
    }

    /// <summary>
    /// Appends one line to <paramref name="file"/> (under <paramref name="folder"/>) and pushes it. The folder's
    /// .gitattributes marks *.jsonl <c>merge=union</c> (written with <paramref name="attributesHeader"/> when missing), so
    /// concurrent appends rebase cleanly and keep both lines; a file that lost its last newline gets one first.
    /// </summary>
    public Task<CommitResult> AppendLineAsync(string folder, string file, string line, string attributesHeader, string message,
        CancellationToken cancellationToken = default) =>
        CommitAsync(folder, async (work, token) =>
        {
            Directory.CreateDirectory(Path.Combine(work, folder));
            var attributes = Path.Combine(work, folder, ".gitattributes");
            if (!File.Exists(attributes)) await File.WriteAllTextAsync(attributes, $"# {attributesHeader}\n*.jsonl merge=union\n", token);
            var path = Path.Combine(work, file);
            // A file that lost its last newline (hand edit) must not glue two lines into one.
            if (File.Exists(path) && new FileInfo(path).Length > 0 && !(await File.ReadAllTextAsync(path, token)).EndsWith('\n'))
                await File.AppendAllTextAsync(path, "\n", token);
            await File.AppendAllTextAsync(path, line.EndsWith('\n') ? line : line + "\n", new System.Text.UTF8Encoding(false), token);
        }, message, cancellationToken);

    /// <summary>
    /// Reverts <paramref name="commit"/> with a commit carrying <paramref name="trailers"/> plus Slipway-Rollback-Of, and pushes it.
    /// </summary>
    /// <param name="fetchFirst">As for <see cref="CommitAsync"/>.</param>
    public Task<CommitResult> RevertAsync(string commit, DeploymentTrailers trailers, CancellationToken cancellationToken = default, bool fetchFirst = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commit);
        var rollback = trailers with { RollbackOf = commit };
        var message = $"Roll back {rollback.Environment}: revert {commit[..Math.Min(12, commit.Length)]}\n\n" +
                      $"This reverts commit {commit}.\n\n" + string.Join('\n', rollback.ToLines()) + "\n";
        return CommitAsync(null, async (work, token) =>
        {
            var revert = await git.RunAsync(work, ["revert", "--no-commit", "--no-edit", commit], cancellationToken: token);
            if (revert.Succeeded) return;
            await git.RunAsync(work, ["revert", "--abort"], cancellationToken: token);
            throw git.Failure(revert, $"commit {commit} cannot be reverted cleanly (later commits changed the same files); " +
                                      "deploy the earlier image instead");
        }, message, cancellationToken, fetchFirst);
    }

    /// <summary>Commits touching environments/&lt;env&gt;/ (all commits when null), newest first, with their parsed trailers.</summary>
    public async Task<IReadOnlyList<ConfigCommit>> HistoryAsync(string? environment = null, CancellationToken cancellationToken = default)
    {
        await using var _ = await LockAsync(cancellationToken);
        await SyncLockedAsync(cancellationToken);
        List<string> arguments = ["log", "--no-color", ConfigCommit.LogFormat, RemoteBranch];
        if (environment is not null) arguments.AddRange(["--", SlipwayMetadata.EnvironmentFolder(EnvironmentName.Require(environment)) + "/"]);
        return ConfigCommit.ParseLog(await git.RunCheckedAsync(options.WorkDirectory, arguments, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// <c>git show</c> of one commit (its message, trailers and patch) after a fetch; null when the repo has no such commit.
    /// <paramref name="commit"/> must be a commit id (4 to 64 hex digits), never a ref or an option.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="commit"/> is not a commit id.</exception>
    public async Task<string?> ShowCommitAsync(string commit, CancellationToken cancellationToken = default)
    {
        if (!IsCommitId(commit)) throw new ArgumentException($"'{commit}' is not a commit id: give 4 to 64 hex digits (e.g. a sha from the history)", nameof(commit));
        await using var _ = await LockAsync(cancellationToken);
        await SyncLockedAsync(cancellationToken);
        var shown = await git.RunAsync(options.WorkDirectory, ["show", "--no-color", "--format=fuller", "--stat", "--patch", $"{commit}^{{commit}}", "--"],
            cancellationToken: cancellationToken);
        return shown.Succeeded ? shown.StandardOutput : null;
    }

    /// <summary>Whether <paramref name="text"/> reads as a (possibly abbreviated) commit id: 4 to 64 hex digits.</summary>
    public static bool IsCommitId(string? text) => text is { Length: >= 4 and <= 64 } && text.All(char.IsAsciiHexDigit);

    /// <summary>The environment's files at <paramref name="revision"/> (default: the remote's head); null when it has none.</summary>
    /// <remarks>
    /// A revision named by commit id (optionally with ^ or ~n after it) that the clone already has is read without a
    /// fetch: a commit's files never change. A rollback reads two of them on its way to the commit (an incident's seconds).
    /// </remarks>
    public async Task<EnvironmentManifests?> ReadEnvironmentAsync(string environment, string? revision = null, CancellationToken cancellationToken = default)
    {
        await using var _ = await LockAsync(cancellationToken);
        await SyncUnlessKnownLockedAsync(revision, cancellationToken);
        var files = await ReadFolderLockedAsync(SlipwayMetadata.EnvironmentFolder(EnvironmentName.Require(environment)), revision ?? RemoteBranch, cancellationToken);
        return files.Count == 0 ? null : EnvironmentManifests.Parse(environment, files);
    }

    /// <summary>
    /// The image the environment's Deployment names at <paramref name="revision"/> (default: the remote's head); null when
    /// it has no deployment.yaml there. Reads that one file, and not through the Kubernetes model (see
    /// <see cref="ManifestYaml.DeploymentImage"/>); a known commit id is read without a fetch, as in <see cref="ReadEnvironmentAsync"/>.
    /// </summary>
    public async Task<string?> ReadImageAsync(string environment, string? revision = null, CancellationToken cancellationToken = default)
    {
        await using var _ = await LockAsync(cancellationToken);
        var path = $"{SlipwayMetadata.EnvironmentFolder(EnvironmentName.Require(environment))}/{SlipwayMetadata.DeploymentFile}";
        // A commit id is tried in the clone first (one git process); only a miss (a commit not fetched yet, or no file
        // there) fetches and asks again.
        var known = MayHaveLocally(revision);
        if (!known) await SyncLockedAsync(cancellationToken);
        var shown = await git.RunAsync(options.WorkDirectory, ["show", $"{revision ?? RemoteBranch}:{path}"], cancellationToken: cancellationToken);
        if (!shown.Succeeded && known)
        {
            await SyncLockedAsync(cancellationToken);
            shown = await git.RunAsync(options.WorkDirectory, ["show", $"{revision}:{path}"], cancellationToken: cancellationToken);
        }
        return shown.Succeeded ? ManifestYaml.DeploymentImage(shown.StandardOutput) : null;
    }

    /// <summary>Syncs, unless <paramref name="revision"/> names by id a commit the clone has (its files never change).</summary>
    private async Task SyncUnlessKnownLockedAsync(string? revision, CancellationToken cancellationToken)
    {
        if (MayHaveLocally(revision) && await TryRevParseAsync(revision, cancellationToken) is not null)
            return;
        await SyncLockedAsync(cancellationToken);
    }

    /// <summary>The files directly in <paramref name="folder"/> (e.g. keys/) at the remote's head, by name; empty when it has none.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ReadFolderAsync(string folder, CancellationToken cancellationToken = default)
    {
        await using var _ = await LockAsync(cancellationToken);
        await SyncLockedAsync(cancellationToken);
        return await ReadFolderLockedAsync(folder, RemoteBranch, cancellationToken);
    }

    /// <summary>The files directly in <paramref name="folder"/> at <paramref name="commit"/>; names listed NUL-separated, so any file name reads.</summary>
    private async Task<SortedDictionary<string, string>> ReadFolderLockedAsync(string folder, string commit, CancellationToken cancellationToken)
    {
        folder = folder.TrimEnd('/');
        var listing = await git.RunCheckedAsync(options.WorkDirectory, ["ls-tree", "-z", "--name-only", commit, "--", folder + "/"], cancellationToken: cancellationToken);
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in listing.Split('\0', StringSplitOptions.RemoveEmptyEntries))
            files[path[(folder.Length + 1)..]] = await git.RunCheckedAsync(options.WorkDirectory, ["show", $"{commit}:{path}"], cancellationToken: cancellationToken);
        return files;
    }

    /// <summary>The image (repository@sha256:...) the config repo currently wants in the environment; null when it has none.</summary>
    public async Task<string?> CurrentImageAsync(string environment, CancellationToken cancellationToken = default) =>
        (await ReadEnvironmentAsync(environment, cancellationToken: cancellationToken))?.Image;

    private string RemoteBranch => $"refs/remotes/origin/{options.Branch}";

    private Task<WorkDirectoryLock> LockAsync(CancellationToken cancellationToken) =>
        WorkDirectoryLock.AcquireAsync(options.WorkDirectory, options.LockTimeout, log, cancellationToken);

    private async Task<string> SyncLockedAsync(CancellationToken cancellationToken)
    {
        var work = options.WorkDirectory;
        if (options.IsLocal && !File.Exists(Path.Combine(options.LocalPath, "HEAD")))
        {
            log.Information("Creating the config repo {Path}", options.LocalPath);
            Directory.CreateDirectory(options.LocalPath);
            await git.RunCheckedAsync(options.LocalPath, ["init", "-q", "--bare", $"--initial-branch={options.Branch}"], cancellationToken: cancellationToken);
        }
        var url = options.IsLocal ? options.LocalPath : options.Url;
        if (!Directory.Exists(Path.Combine(work, ".git")))
        {
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);   // a clone that died half-way
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(work))!);
            await git.RunCheckedAsync(null, ["clone", "-q", "--no-checkout", url, Path.GetFullPath(work)], authenticate: true, cancellationToken: cancellationToken);
            remoteUrlSet = true;
        }
        else if (!remoteUrlSet)
        {
            // Once per instance: the URL (and its credentials) may differ from the last process's.
            await git.RunCheckedAsync(work, ["remote", "set-url", "origin", url], cancellationToken: cancellationToken);
            remoteUrlSet = true;
        }
        await FetchAsync(cancellationToken);
        var head = await TryRevParseAsync(RemoteBranch, cancellationToken);
        if (head is null)
        {
            await SeedAsync(cancellationToken);
            head = await RevParseAsync(RemoteBranch, cancellationToken);
        }
        await ResetToRemoteAsync(cancellationToken, knownRemoteHead: head);
        return head;
    }

    /// <summary>The work directory's origin has been pointed at this instance's URL (one git process saved on every later sync).</summary>
    private bool remoteUrlSet;

    private async Task SeedAsync(CancellationToken cancellationToken)
    {
        var work = options.WorkDirectory;
        log.Information("Seeding the empty config repo {Url}", DisplayUrl);
        await git.RunCheckedAsync(work, ["symbolic-ref", "HEAD", $"refs/heads/{options.Branch}"], cancellationToken: cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(work, "README.md"), SeedReadme.Replace("\r\n", "\n", StringComparison.Ordinal), cancellationToken);
        Directory.CreateDirectory(Path.Combine(work, "environments"));
        await File.WriteAllTextAsync(Path.Combine(work, "environments", ".gitkeep"), "", cancellationToken);
        await git.RunCheckedAsync(work, ["add", "README.md", "environments/.gitkeep"], cancellationToken: cancellationToken);
        await git.RunCheckedAsync(work, ["commit", "-q", "--no-verify", "-F", "-"], input: SeedMessage, cancellationToken: cancellationToken);
        var push = await git.RunAsync(work, ["push", "--porcelain", "origin", $"HEAD:refs/heads/{options.Branch}"], authenticate: true, cancellationToken: cancellationToken);
        if (!push.Succeeded && !IsRejectedBecauseRemoteMoved(push.StandardOutput + push.StandardError))
            throw git.Failure(push, "check that the config repo URL is writable with this token");
        await FetchAsync(cancellationToken);   // rejected: another process seeded it first, which is as good
    }

    private Task FetchAsync(CancellationToken cancellationToken) =>
        git.RunCheckedAsync(options.WorkDirectory, ["fetch", "-q", "--prune", "origin",
            "+refs/heads/*:refs/remotes/origin/*"], authenticate: true, cancellationToken: cancellationToken);

    /// <summary>
    /// Puts the work tree exactly on the remote branch, whatever state an earlier run left it in. A forced checkout with -B
    /// moves the branch and discards changes to tracked files (what reset --hard would do); clean removes the rest.
    /// </summary>
    private async Task ResetToRemoteAsync(CancellationToken cancellationToken, string? knownRemoteHead = null)
    {
        var work = options.WorkDirectory;
        var gitDirectory = Path.Combine(work, ".git");
        if (Directory.Exists(Path.Combine(gitDirectory, "rebase-merge")) || Directory.Exists(Path.Combine(gitDirectory, "rebase-apply")))
            await git.RunAsync(work, ["rebase", "--abort"], cancellationToken: cancellationToken);
        if (File.Exists(Path.Combine(gitDirectory, "REVERT_HEAD")))
            await git.RunAsync(work, ["revert", "--abort"], cancellationToken: cancellationToken);
        if ((knownRemoteHead ?? await TryRevParseAsync(RemoteBranch, cancellationToken)) is null) return;
        await git.RunCheckedAsync(work, ["checkout", "-q", "-f", "-B", options.Branch, RemoteBranch], cancellationToken: cancellationToken);
        await git.RunCheckedAsync(work, ["clean", "-q", "-ffdx"], cancellationToken: cancellationToken);
    }

    /// <summary>Leaves no half-made commit behind after a failure; the failure itself is what the caller reports.</summary>
    private async Task TryResetToRemoteAsync()
    {
        try { await ResetToRemoteAsync(CancellationToken.None); }
        catch (GitException exception) { log.Warning("Could not reset the work directory after a failure: {Reason}", exception.Message); }
    }

    /// <summary>The commit <paramref name="revision"/> names, or null when it names none (e.g. a remote branch not yet seeded).</summary>
    private async Task<string?> TryRevParseAsync(string revision, CancellationToken cancellationToken)
    {
        var result = await git.RunAsync(options.WorkDirectory, ["rev-parse", "--verify", "-q", revision + "^{commit}"], cancellationToken: cancellationToken);
        return result.Succeeded ? result.StandardOutput.Trim() : null;
    }

    private async Task<string> RevParseAsync(string revision, CancellationToken cancellationToken) =>
        (await git.RunCheckedAsync(options.WorkDirectory, ["rev-parse", "--verify", revision + "^{commit}"], cancellationToken: cancellationToken)).Trim();

    private static bool IsRejectedBecauseRemoteMoved(string output) =>
        output.Contains("[rejected]", StringComparison.Ordinal) || output.Contains("non-fast-forward", StringComparison.Ordinal) ||
        output.Contains("fetch first", StringComparison.Ordinal) || output.Contains("failed to update ref", StringComparison.Ordinal) ||
        output.Contains("cannot lock ref", StringComparison.Ordinal) || output.Contains("incorrect old value", StringComparison.Ordinal);

    /// <summary>Whether <paramref name="revision"/> names a commit no push can move and a clone exists that may hold it (read without a fetch when it does).</summary>
    private bool MayHaveLocally([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? revision) =>
        revision is not null && FixedRevision().IsMatch(revision) && Directory.Exists(Path.Combine(options.WorkDirectory, ".git"));

    /// <summary>A commit id, with only parent steps after it: a name no push can move.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^[0-9a-fA-F]{4,64}(\^|~[0-9]+)*$")]
    private static partial System.Text.RegularExpressions.Regex FixedRevision();

    private sealed class PushRejectedException : Exception;
}
