using Slipway.Delivery.ConfigRepo;
using Slipway.Testing;

namespace Slipway.Delivery.Tests.ConfigRepo;

/// <summary>A temp folder holding a config repo (bare) and any number of clones, deleted afterwards.</summary>
public sealed class GitSandbox : IDisposable
{
    public GitSandbox() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "slipway-gitops-" + Guid.NewGuid().ToString("N"));

    public string BareRepository => Path.Combine(Root, "config.git");

    public CollectingSink Logs { get; } = new();

    public ConfigRepository Repository(string clone = "work", string? url = null, string? token = null) =>
        new(new ConfigRepositoryOptions { Url = url ?? BareRepository, WorkDirectory = Path.Combine(Root, clone), Token = token }, Logs.Logger());

    /// <summary>Runs git directly (not through the code under test) to observe the repository.</summary>
    public static Task<string> GitAsync(string directory, params string[] arguments) => TestGit.RunAsync(directory, arguments);

    public void Dispose()
    {
        if (!Directory.Exists(Root)) return;
        foreach (var file in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories))
            File.SetAttributes(file, FileAttributes.Normal);   // git makes pack files read-only
        Directory.Delete(Root, recursive: true);
    }
}
