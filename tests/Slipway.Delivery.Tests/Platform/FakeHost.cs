using Slipway.Delivery.Platform;

namespace Slipway.Delivery.Tests.Platform;

/// <summary>A host whose identity and installed files are set by the test; it records what would have run.</summary>
sealed class FakeHost : IPlatformHost
{
    public bool IsRoot { get; init; }
    public HashSet<string> Files { get; } = [];
    public List<string> Commands { get; } = [];
    public List<string> Started { get; } = [];
    public Func<string, IReadOnlyList<string>, bool>? Fails { get; init; }

    /// <summary>Packages "apt-get install" makes appear: package -> binary.</summary>
    public Dictionary<string, string> PackageBinaries { get; } = new()
    {
        ["docker.io"] = DockerEngineProvisioner.Dockerd,
        ["docker-registry"] = RegistryServer.Binary,
        ["mmdebstrap"] = DebianRootfs.Mmdebstrap,
    };

    public bool FileExists(string path) => Files.Contains(path);

    public Task<string> RunAsync(string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment,
                                 CancellationToken cancellationToken)
    {
        var line = $"{program} {string.Join(' ', arguments)}";
        Commands.Add(line);
        if (Fails?.Invoke(program, arguments) == true)
            throw new PlatformCommandException(line, 100, "E: simulated failure");
        if (program == AptInstaller.AptGet && arguments[0] == "install")
            Files.Add(PackageBinaries[arguments[^1]]);
        return Task.FromResult("");
    }

    public Task<int> StartDetachedAsync(string program, IReadOnlyList<string> arguments, string logFile, CancellationToken cancellationToken)
    {
        Started.Add($"{program} {string.Join(' ', arguments)}".TrimEnd());
        return Task.FromResult(4242);
    }

    public string? CommandLineOf(int processId) => Started.Count > 0 ? Started[^1] : null;

    public bool IsRunning(int processId) => Started.Count > 0;

    public Task TerminateAsync(int processId, TimeSpan grace, CancellationToken cancellationToken) => Task.CompletedTask;
}
