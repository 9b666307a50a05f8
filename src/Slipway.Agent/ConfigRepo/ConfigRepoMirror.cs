using Serilog;
using Slipway.Delivery.Git;

namespace Slipway.Agent.ConfigRepo;

/// <summary>
/// A bare local clone of the config repo inside the agent's work dir. Files are read straight from commits
/// (<c>git show rev:path</c>), so no checkout can be left half-written by a crash.
/// </summary>
public sealed class ConfigRepoMirror(string remote, string mirrorDirectory, string? branch, ILogger logger)
{
    // The remote URL may carry credentials (https://user:token@host/...): GitCli masks them in what it logs.
    private readonly GitCli git = new(logger, RemoteCredentials(remote));

    public string Remote { get; } = remote;

    /// <summary>Fetches the remote and returns the branch head, or null when the branch has no commit yet.</summary>
    public async Task<string?> FetchAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(Path.Combine(mirrorDirectory, "objects")))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(mirrorDirectory)!);
            if (Directory.Exists(mirrorDirectory)) Directory.Delete(mirrorDirectory, recursive: true);
            logger.Information("Cloning config repo {Remote} into {Mirror}", RemoteUrl.Redact(Remote), mirrorDirectory);
            await GitAsync(Path.GetDirectoryName(mirrorDirectory)!, cancellationToken, "clone", "--bare", "--quiet", Remote, mirrorDirectory);
        }
        else
        {
            await GitAsync(mirrorDirectory, cancellationToken, "fetch", "--quiet", "--prune", "--force", Remote, "+refs/heads/*:refs/heads/*");
        }
        var branchName = branch ?? await DefaultBranchAsync(cancellationToken);
        var head = await GitAsync(mirrorDirectory, cancellationToken, allowFailure: true, "rev-parse", "--verify", "--quiet", $"refs/heads/{branchName}^{{commit}}");
        return string.IsNullOrWhiteSpace(head) ? null : head.Trim();
    }

    /// <summary>The remote's default branch (its HEAD), which a bare clone records.</summary>
    async Task<string> DefaultBranchAsync(CancellationToken cancellationToken)
    {
        // Refresh HEAD from the remote: the default branch may be created after the first clone.
        var symref = await GitAsync(mirrorDirectory, cancellationToken, allowFailure: true, "ls-remote", "--symref", Remote, "HEAD");
        var line = symref.Split('\n').FirstOrDefault(l => l.StartsWith("ref: refs/heads/", StringComparison.Ordinal));
        if (line is not null) return line["ref: refs/heads/".Length..].Split('\t')[0].Trim();
        var local = await GitAsync(mirrorDirectory, cancellationToken, allowFailure: true, "symbolic-ref", "--short", "HEAD");
        return string.IsNullOrWhiteSpace(local) ? "main" : local.Trim();
    }

    /// <summary>The files of <c>environments/&lt;env&gt;/</c> at <paramref name="revision"/>, by file name; null when the folder does not exist there.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> ReadEnvironmentAsync(string revision, string environment, CancellationToken cancellationToken)
    {
        var files = await ReadFolderAsync(revision, $"environments/{environment}", cancellationToken);
        return files.Count == 0 ? null : files;
    }

    /// <summary>The files directly in <paramref name="folder"/> at <paramref name="revision"/>, by file name; empty when the folder does not exist there.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ReadFolderAsync(string revision, string folder, CancellationToken cancellationToken)
    {
        folder = folder.TrimEnd('/') + "/";
        var listing = await GitAsync(mirrorDirectory, cancellationToken, "ls-tree", "--name-only", revision, folder);
        var paths = listing.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in paths)
            files[path[folder.Length..]] = await GitAsync(mirrorDirectory, cancellationToken, "show", $"{revision}:{path}");
        return files;
    }

    /// <summary>Whether the last commit up to <paramref name="revision"/> that changed the environment's folder is a rollback (Slipway-Rollback-Of).</summary>
    public async Task<bool> IsRollbackAsync(string revision, string environment, CancellationToken cancellationToken)
    {
        var output = await GitAsync(mirrorDirectory, cancellationToken, "log", "-1", "--format=%(trailers:key=Slipway-Rollback-Of,valueonly)",
            revision, "--", $"environments/{environment}/");
        return output.Trim().Length > 0;
    }

    /// <summary>The commits (newest first) up to <paramref name="revision"/> that changed the environment's folder.</summary>
    public async Task<IReadOnlyList<string>> HistoryAsync(string revision, string environment, int max, CancellationToken cancellationToken)
    {
        var output = await GitAsync(mirrorDirectory, cancellationToken, "rev-list", $"--max-count={max}", revision, "--", $"environments/{environment}/");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    Task<string> GitAsync(string workingDirectory, CancellationToken cancellationToken, params string[] arguments) =>
        GitAsync(workingDirectory, cancellationToken, allowFailure: false, arguments);

    async Task<string> GitAsync(string workingDirectory, CancellationToken cancellationToken, bool allowFailure, params string[] arguments)
    {
        var result = await git.RunAsync(workingDirectory, arguments, cancellationToken: cancellationToken);
        if (result.ExitCode != 0 && !allowFailure)
            throw new ConfigRepoException(RemoteUrl.Redact(Remote,
                $"git {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.StandardError.Trim()}"));
        return result.ExitCode == 0 ? result.StandardOutput : "";
    }

    static string[] RemoteCredentials(string remote) =>
        Uri.TryCreate(remote, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0
            ? [uri.UserInfo, Uri.UnescapeDataString(uri.UserInfo)]
            : [];
}

public sealed class ConfigRepoException(string message) : Exception(message);
