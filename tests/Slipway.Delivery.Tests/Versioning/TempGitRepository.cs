using Slipway.Testing;

namespace Slipway.Delivery.Tests.Versioning;

/// <summary>A throw-away Git repository in a temp directory, deleted on dispose.</summary>
public sealed class TempGitRepository : IAsyncDisposable
{
    private int _commits;
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "slipway-git-" + Guid.NewGuid().ToString("N")[..8]);

    public static async Task<TempGitRepository> CreateAsync()
    {
        var repository = new TempGitRepository();
        System.IO.Directory.CreateDirectory(repository.Directory);
        await repository.GitAsync("init", "-q", "-b", "main");
        await repository.GitAsync("config", "user.email", "test@slipway.invalid");
        await repository.GitAsync("config", "user.name", "Slipway Test");
        await repository.GitAsync("config", "commit.gpgsign", "false");
        await repository.GitAsync("config", "tag.gpgsign", "false");
        return repository;
    }

    /// <summary>Commits a change with a fixed, increasing commit time (so tests can assert it).</summary>
    public async Task<string> CommitAsync(string message = "change", DateTimeOffset? time = null)
    {
        _commits++;
        await File.WriteAllTextAsync(Path.Combine(Directory, "file.txt"), $"{message} {_commits}\n");
        await GitAsync("add", "-A");
        var when = (time ?? DateTimeOffset.FromUnixTimeSeconds(1_700_000_000 + _commits * 60)).ToString("yyyy-MM-ddTHH:mm:sszzz");
        await TestGit.RunAsync(Directory, ["commit", "-q", "-m", message],
            new Dictionary<string, string?> { ["GIT_AUTHOR_DATE"] = when, ["GIT_COMMITTER_DATE"] = when });
        return (await GitAsync("rev-parse", "HEAD")).Trim();
    }

    public Task TagAsync(string tag, bool annotated = false) =>
        annotated ? GitAsync("tag", "-a", tag, "-m", tag) : GitAsync("tag", tag);

    public Task<string> GitAsync(params string[] arguments) => TestGit.RunAsync(Directory, arguments);

    public ValueTask DisposeAsync()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return ValueTask.CompletedTask;
    }
}
