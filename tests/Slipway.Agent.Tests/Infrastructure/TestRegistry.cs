using CliWrap;

namespace Slipway.Agent.Tests.Infrastructure;

/// <summary>A throw-away CNCF distribution registry (Debian's docker-registry) on a free 127.0.0.1 port, storage in a temp dir.</summary>
sealed class TestRegistry : IAsyncDisposable
{
    readonly CancellationTokenSource stop = new();
    readonly string directory;
    CommandTask<CommandResult>? process;

    TestRegistry(string directory, int port)
    {
        this.directory = directory;
        Port = port;
    }

    public int Port { get; }
    public string Host => $"127.0.0.1:{Port}";

    public static async Task<TestRegistry> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("slipway-agent-registry-").FullName;
        var registry = new TestRegistry(directory, Processes.FreePort());
        var config = Path.Combine(directory, "config.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: {Path.Combine(directory, "data")}
              delete:
                enabled: true
            http:
              addr: {registry.Host}
            """);
        registry.process = Cli.Wrap("/usr/bin/docker-registry").WithArguments(["serve", config])
            .WithValidation(CommandResultValidation.None)
            // Both streams to files: with stdout closed the registry dies of SIGPIPE at its first log line.
            .WithStandardOutputPipe(PipeTarget.ToFile(Path.Combine(directory, "registry.out")))
            .WithStandardErrorPipe(PipeTarget.ToFile(Path.Combine(directory, "registry.log")))
            .ExecuteAsync(registry.stop.Token);
        using var http = new HttpClient();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (registry.process.Task.IsCompleted)
            {
                var exited = await registry.process;
                var output = await File.ReadAllTextAsync(Path.Combine(directory, "registry.log"));
                await registry.DisposeAsync();
                throw new InvalidOperationException($"docker-registry exited ({exited.ExitCode}): {output}");
            }
            try
            {
                using var response = await http.GetAsync($"http://{registry.Host}/v2/");
                if (response.IsSuccessStatusCode) return registry;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        var log = await File.ReadAllTextAsync(Path.Combine(directory, "registry.log"));
        await registry.DisposeAsync();
        throw new InvalidOperationException($"docker-registry did not answer on {registry.Host}: {log}");
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (process is not null)
        {
            try { await process; } catch (OperationCanceledException) { }
        }
        stop.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
