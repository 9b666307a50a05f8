using Serilog;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Git;
using Slipway.Delivery.Promotion;

namespace Slipway.Agent.ConfigRepo;

/// <summary>
/// A bare local clone of the config repo inside the agent's work dir. Files are read straight from commits
/// (<c>git cat-file blob</c> of the objects <c>git ls-tree -z</c> lists), so no checkout can be left half-written by a
/// crash and any file name reads.
/// </summary>
public sealed class ConfigRepoMirror(string remote, string mirrorDirectory, string? branch, ILogger logger)
{
    // Credentials in the remote URL (https://user:token@host/...) never reach git's command line: they travel as an
    // http.extraHeader in git's environment (GitCli), and the URL git sees has none.
    private readonly GitCli git = CredentialsOf(remote) is { } credentials
        ? new GitCli(credentials.Token, credentials.User, "Slipway agent", "slipway@localhost", logger)
        : new GitCli(logger);
    private readonly string fetchUrl = WithoutCredentials(remote);

    public string Remote { get; } = remote;

    /// <summary>Fetches the remote and returns the branch head, or null when the branch has no commit yet.</summary>
    public async Task<string?> FetchAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(Path.Combine(mirrorDirectory, "objects")))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(mirrorDirectory)!);
            if (Directory.Exists(mirrorDirectory)) Directory.Delete(mirrorDirectory, recursive: true);
            logger.Information("Cloning config repo {Remote} into {Mirror}", RemoteUrl.Redact(Remote), mirrorDirectory);
            await GitAsync(Path.GetDirectoryName(mirrorDirectory)!, cancellationToken, "clone", "--bare", "--quiet", fetchUrl, mirrorDirectory);
        }
        else
        {
            // Without a configured branch, the remote's default is asked while the fetch runs: both only read the
            // remote, and a rollback waits for this fetch.
            var fetching = GitAsync(mirrorDirectory, cancellationToken, "fetch", "--quiet", "--prune", "--force", fetchUrl, "+refs/heads/*:refs/heads/*");
            var defaultBranch = branch is null ? DefaultBranchAsync(cancellationToken) : null;
            await fetching;
            if (defaultBranch is not null) return await HeadAsync(await defaultBranch, cancellationToken);
        }
        return await HeadAsync(branch ?? await DefaultBranchAsync(cancellationToken), cancellationToken);
    }

    async Task<string?> HeadAsync(string branchName, CancellationToken cancellationToken)
    {
        var head = await GitAsync(mirrorDirectory, cancellationToken, allowFailure: true, "rev-parse", "--verify", "--quiet", $"refs/heads/{branchName}^{{commit}}");
        return string.IsNullOrWhiteSpace(head) ? null : head.Trim();
    }

    /// <summary>The remote's default branch (its HEAD), which a bare clone records.</summary>
    async Task<string> DefaultBranchAsync(CancellationToken cancellationToken)
    {
        // Refresh HEAD from the remote: the default branch may be created after the first clone.
        var symref = await GitAsync(mirrorDirectory, cancellationToken, allowFailure: true, "ls-remote", "--symref", fetchUrl, "HEAD");
        var line = symref.Split('\n').FirstOrDefault(l => l.StartsWith("ref: refs/heads/", StringComparison.Ordinal));
        if (line is not null) return line["ref: refs/heads/".Length..].Split('\t')[0].Trim();
        var local = await GitAsync(mirrorDirectory, cancellationToken, allowFailure: true, "symbolic-ref", "--short", "HEAD");
        return string.IsNullOrWhiteSpace(local) ? "main" : local.Trim();
    }

    /// <summary>The files of <c>environments/&lt;env&gt;/</c> at <paramref name="revision"/>, by file name; null when the folder does not exist there.</summary>
    /// <exception cref="FolderLimitException">The folder holds more or larger files than <paramref name="limits"/> allow (nothing of them is read).</exception>
    public async Task<IReadOnlyDictionary<string, string>?> ReadEnvironmentAsync(string revision, string environment, FolderLimits limits,
        CancellationToken cancellationToken)
    {
        var files = await ReadFolderAsync(revision, $"environments/{environment}", cancellationToken, limits);
        return files.Count == 0 ? null : files;
    }

    /// <summary>The files directly in <paramref name="folder"/> at <paramref name="revision"/>, by file name; empty when the folder does not exist there.</summary>
    /// <remarks>A subfolder is listed as "name/" with no content, so a reader that expects only files names it.</remarks>
    public async Task<IReadOnlyDictionary<string, string>> ReadFolderAsync(string revision, string folder, CancellationToken cancellationToken,
        FolderLimits? limits = null)
    {
        folder = folder.TrimEnd('/') + "/";
        limits ??= FolderLimits.Default;
        // -z: names as they are (no quoting of non-ASCII or special characters); -l: sizes, checked before any blob is read.
        var listing = await GitAsync(mirrorDirectory, cancellationToken, "ls-tree", "-z", "-l", revision, folder);
        var entries = listing.Split('\0', StringSplitOptions.RemoveEmptyEntries).Select(FolderEntry.Parse).ToList();
        if (entries.Count > limits.MaxFiles)
            throw new FolderLimitException($"{folder} holds {entries.Count} entries; at most {limits.MaxFiles} are read (--max-files)");
        if (entries.FirstOrDefault(e => e.Size > limits.MaxFileBytes) is { } large)
            throw new FolderLimitException($"{large.Path} is {large.Size} bytes; files larger than {limits.MaxFileBytes} bytes are not read (--max-file-bytes)");
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries)
            files[entry.Path[folder.Length..] + (entry.IsBlob ? "" : "/")] = entry.IsBlob
                ? await GitAsync(mirrorDirectory, cancellationToken, "cat-file", "blob", entry.ObjectId)
                : "";
        return files;
    }

    /// <summary>One line of <c>git ls-tree -z -l</c>: "&lt;mode&gt; &lt;type&gt; &lt;object&gt; &lt;size&gt;\t&lt;path&gt;".</summary>
    sealed record FolderEntry(bool IsBlob, string ObjectId, long Size, string Path)
    {
        public static FolderEntry Parse(string line)
        {
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            var fields = line[..tab].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var isBlob = fields[1] == "blob";
            return new FolderEntry(isBlob, fields[2], isBlob ? long.Parse(fields[3], System.Globalization.CultureInfo.InvariantCulture) : 0, line[(tab + 1)..]);
        }
    }

    /// <summary>
    /// The rollback the last commit up to <paramref name="revision"/> that changed the environment's folder claims to be
    /// (its Slipway-Rollback-Of), and whether that claim holds: it names a commit before it that deployed to this
    /// environment. Null when that commit claims no rollback.
    /// </summary>
    public async Task<RollbackClaim?> RollbackClaimAsync(string revision, string environment, CancellationToken cancellationToken)
    {
        var folder = $"environments/{environment}/";
        var output = await GitAsync(mirrorDirectory, cancellationToken, "log", "-1", "--format=%H%x00%(trailers:key=Slipway-Rollback-Of,valueonly,separator=%x00)",
            revision, "--", folder);
        var fields = output.Trim().Split('\0', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (fields.Length < 2) return null;
        var (commit, claimed) = (fields[0], fields[1]);
        var named = (await GitAsync(mirrorDirectory, cancellationToken, allowFailure: true, "rev-parse", "--verify", "--quiet", "--end-of-options", claimed + "^{commit}")).Trim();
        // Deployed to this environment: the named commit changed its folder, and comes before the rollback in its history.
        var deployed = named.Length > 0 && named != commit
                       && (await GitAsync(mirrorDirectory, cancellationToken, allowFailure: true, "rev-list", "--max-count=1", named, "--", folder)).Trim() == named
                       && await IsAncestorAsync(named, commit, cancellationToken);
        return new RollbackClaim(commit, claimed, deployed);
    }

    /// <summary>The commits (newest first) up to <paramref name="revision"/> that changed the environment's folder.</summary>
    public async Task<IReadOnlyList<string>> HistoryAsync(string revision, string environment, int max, CancellationToken cancellationToken)
    {
        var output = await GitAsync(mirrorDirectory, cancellationToken, "rev-list", $"--max-count={max}", revision, "--", $"environments/{environment}/");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>
    /// The commits (newest first, at most <paramref name="max"/>) up to <paramref name="revision"/> that changed the
    /// environment's folder, with their trailers: the history a rollback is located in, read from the mirror as fetched.
    /// </summary>
    public async Task<IReadOnlyList<ConfigCommit>> CommitsAsync(string revision, string environment, int max, CancellationToken cancellationToken) =>
        ConfigCommit.ParseLog(await GitAsync(mirrorDirectory, cancellationToken, "log", "--no-color", $"--max-count={max}", ConfigCommit.LogFormat,
            revision, "--", $"environments/{environment}/"));

    /// <summary>How far back the history is searched for a rollback's target; an older one is left to the commit itself.</summary>
    public const int RollbackHistoryDepth = 200;

    /// <summary>
    /// What a rollback of the environment would return to, located by the commit's own rules (<see cref="EnvironmentRollback.Locate"/>)
    /// in the history up to <paramref name="head"/> as the mirror last fetched it.
    /// </summary>
    /// <exception cref="RollbackRefusedException">The commit would refuse the rollback (nothing to roll back, an unknown target).</exception>
    public async Task<RollbackTarget> LocateRollbackAsync(string head, string environment, string? to, CancellationToken cancellationToken) =>
        EnvironmentRollback.Locate(environment, to, await CommitsAsync(head, environment, RollbackHistoryDepth, cancellationToken));

    /// <summary>Whether <paramref name="ancestor"/> is <paramref name="descendant"/> or comes before it (false when the mirror has not fetched either).</summary>
    public async Task<bool> IsAncestorAsync(string ancestor, string descendant, CancellationToken cancellationToken) =>
        (await git.RunAsync(mirrorDirectory, ["merge-base", "--is-ancestor", ancestor, descendant], cancellationToken: cancellationToken)).ExitCode == 0;

    /// <summary>
    /// The object ids that "&lt;revision&gt;:&lt;path&gt;" names resolve to, in order, with null for one that names nothing:
    /// two folders or files are the same exactly when their ids are. One git process for all of them.
    /// </summary>
    public async Task<IReadOnlyList<string?>> ObjectIdsAsync(IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        // --batch-check answers "<id> <type> <size>" per line, or "<name> missing": never an error for a missing one.
        var output = await GitAsync(mirrorDirectory, cancellationToken, ["cat-file", "--batch-check=%(objectname)"], input: string.Join('\n', names) + "\n");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length != names.Count)
            throw new ConfigRepoException($"git cat-file --batch-check answered {lines.Length} lines for {names.Count} names");
        return lines.Select(line => line.EndsWith(" missing", StringComparison.Ordinal) || line.EndsWith(" ambiguous", StringComparison.Ordinal) ? null : line.Trim()).ToList();
    }

    /// <summary>The commit message of <paramref name="revision"/>'s trailers with key <paramref name="key"/>, values only.</summary>
    public async Task<IReadOnlyList<string>> TrailerAsync(string revision, string key, CancellationToken cancellationToken)
    {
        var output = await GitAsync(mirrorDirectory, cancellationToken, "log", "-1", $"--format=%(trailers:key={key},valueonly,separator=%x00)", revision);
        return output.Trim().Split('\0', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    Task<string> GitAsync(string workingDirectory, CancellationToken cancellationToken, params string[] arguments) =>
        GitAsync(workingDirectory, cancellationToken, allowFailure: false, arguments);

    async Task<string> GitAsync(string workingDirectory, CancellationToken cancellationToken, bool allowFailure, params string[] arguments) =>
        await GitAsync(workingDirectory, cancellationToken, arguments, input: null, allowFailure);

    async Task<string> GitAsync(string workingDirectory, CancellationToken cancellationToken, IReadOnlyList<string> arguments, string? input, bool allowFailure = false)
    {
        var result = await git.RunAsync(workingDirectory, arguments, input, authenticate: true, cancellationToken: cancellationToken);
        if (result.ExitCode != 0 && !allowFailure)
            throw new ConfigRepoException(RemoteUrl.Redact(Remote,
                $"git {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.StandardError.Trim()}"));
        return result.ExitCode == 0 ? result.StandardOutput : "";
    }

    static (string User, string Token)? CredentialsOf(string remote)
    {
        if (!Uri.TryCreate(remote, UriKind.Absolute, out var uri) || uri.UserInfo.Length == 0) return null;
        var parts = uri.UserInfo.Split(':', 2);
        // https://token@host carries the token as the user name (GitHub's x-access-token style works either way).
        return parts.Length == 2
            ? (Uri.UnescapeDataString(parts[0]), Uri.UnescapeDataString(parts[1]))
            : ("x-access-token", Uri.UnescapeDataString(parts[0]));
    }

    static string WithoutCredentials(string remote) =>
        Uri.TryCreate(remote, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0
            ? new UriBuilder(uri) { UserName = "", Password = "" }.Uri.ToString()
            : remote;
}

/// <summary>How many files, and how large, the agent reads from one folder of a commit.</summary>
public sealed record FolderLimits(int MaxFiles, long MaxFileBytes)
{
    public static readonly FolderLimits Default = new(16, 256 * 1024);
}

/// <summary>A commit's claim to roll back <paramref name="Claimed"/>; <paramref name="Deployed"/>: it names a commit that deployed to the environment before it.</summary>
public sealed record RollbackClaim(string Commit, string Claimed, bool Deployed);

public sealed class ConfigRepoException(string message) : Exception(message);

/// <summary>A folder exceeds the agent's <see cref="FolderLimits"/>: the revision is refused, nothing of it read.</summary>
public sealed class FolderLimitException(string message) : Exception(message);
