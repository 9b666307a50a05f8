using System.Globalization;
using Slipway.Delivery.Git;

namespace Slipway.Delivery.Metrics;

/// <summary>
/// The service's source repository, read with the git CLI: which commits a deploy brought, and when each was committed.
/// Reads only; works on any clone (a shallow CI clone simply lacks old commits, reported as unknown).
/// </summary>
public sealed class SourceRepository
{
    private readonly string path;
    private readonly GitCli git;

    public SourceRepository(string path, Serilog.ILogger log)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        this.path = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(this.path))
            throw new DirectoryNotFoundException($"source repository {this.path} does not exist: pass the service's Git clone (the build's root)");
        git = new GitCli(log.ForContext<SourceRepository>());
    }

    public string Location => path;

    /// <summary>The commit's committer time, or null when this clone does not have it.</summary>
    public async Task<SourceChange?> CommitAsync(string sha, CancellationToken cancellationToken = default)
    {
        if (!await HasCommitAsync(sha, cancellationToken)) return null;
        var output = await git.RunCheckedAsync(path, ["log", "-1", "--no-color", "--format=%H%x1f%cI", sha + "^{commit}", "--"], cancellationToken: cancellationToken);
        return Parse(output).SingleOrDefault();
    }

    /// <summary>
    /// The commits reachable from <paramref name="to"/> and not from <paramref name="from"/> (git's from..to), oldest first;
    /// null when this clone lacks either commit (shallow clone, force-pushed history, another repository).
    /// </summary>
    public async Task<IReadOnlyList<SourceChange>?> CommitsBetweenAsync(string from, string to, CancellationToken cancellationToken = default)
    {
        if (!await HasCommitAsync(from, cancellationToken) || !await HasCommitAsync(to, cancellationToken)) return null;
        var output = await git.RunCheckedAsync(path, ["log", "--no-color", "--reverse", "--format=%H%x1f%cI", $"{from}..{to}", "--"],
            cancellationToken: cancellationToken);
        return Parse(output);
    }

    private async Task<bool> HasCommitAsync(string sha, CancellationToken cancellationToken) =>
        !string.IsNullOrWhiteSpace(sha) && !sha.StartsWith('-') &&
        (await git.RunAsync(path, ["rev-parse", "--verify", "-q", sha + "^{commit}"], cancellationToken: cancellationToken)).Succeeded;

    private static List<SourceChange> Parse(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('\x1f'))
            .Where(fields => fields.Length == 2)
            .Select(fields => new SourceChange(fields[0], DateTimeOffset.Parse(fields[1], CultureInfo.InvariantCulture)))
            .ToList();
}
