using System.Net;
using System.Text;
using CliWrap;
using Xunit;

namespace Slipway.Testing;

/// <summary>
/// A throw-away CNCF distribution registry (Debian's /usr/bin/docker-registry) on 127.0.0.1:&lt;free port&gt; with its
/// storage in a temp directory; killed and deleted on dispose. Use as a class fixture, or
/// <see cref="StartAsync"/> for a registry with htpasswd (Basic) or token (Bearer) authentication.
/// </summary>
public sealed class RegistryFixture : IAsyncLifetime
{
    public const string RegistryBinary = "/usr/bin/docker-registry";

    private readonly string? authSection;
    private readonly string? notificationsSection;
    private CancellationTokenSource? stop;
    // SIGINT (graceful cancellation) is ignored by processes started from a non-interactive background job: kill after a grace period.
    private CancellationTokenSource? kill;
    private Task<CommandResult>? process;
    private readonly StringBuilder output = new();

    public RegistryFixture() : this(null) { }

    private RegistryFixture(string? authSection, string? notificationsSection = null)
    {
        this.authSection = authSection;
        this.notificationsSection = notificationsSection;
    }

    /// <summary>host:port, e.g. 127.0.0.1:41234.</summary>
    public string Host { get; private set; } = "";
    public int Port { get; private set; }
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "slipway-registry-" + Guid.NewGuid().ToString("N"));
    public string Output { get { lock (output) return output.ToString(); } }

    /// <summary>
    /// Starts a registry whose config gets <paramref name="authSection"/> (YAML under "auth:", indented by 2) and
    /// <paramref name="notificationsSection"/> (YAML under "notifications:", e.g. an endpoint it POSTs push events to) where given.
    /// </summary>
    public static async Task<RegistryFixture> StartAsync(string? authSection = null, string? notificationsSection = null)
    {
        var fixture = new RegistryFixture(authSection, notificationsSection);
        await fixture.InitializeAsync();
        return fixture;
    }

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(RegistryBinary))
            throw new InvalidOperationException($"{RegistryBinary} is missing: install Debian's docker-registry package (apt-get install docker-registry).");
        Directory.CreateDirectory(Root);
        Exception? last = null;
        // Another process may take the port between probing and binding: try a few ports.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            Port = FreePort.Next();
            Host = $"127.0.0.1:{Port}";
            var config = Path.Combine(Root, "config.yml");
            await File.WriteAllTextAsync(config, Config());
            stop = new CancellationTokenSource();
            kill = new CancellationTokenSource();
            process = Cli.Wrap(RegistryBinary)
                .WithArguments(["serve", config])
                .WithValidation(CommandResultValidation.None)
                .WithStandardOutputPipe(PipeTarget.ToDelegate(Append))
                .WithStandardErrorPipe(PipeTarget.ToDelegate(Append))
                .ExecuteAsync(kill.Token, stop.Token);
            try
            {
                await WaitUntilAnsweringAsync();
                return;
            }
            catch (Exception exception)
            {
                last = exception;
                await StopAsync();
            }
        }
        throw new InvalidOperationException($"docker-registry did not start: {last?.Message}\n{Output}", last);
    }

    private string Config() => $"""
        version: 0.1
        log:
          level: warn
        storage:
          filesystem:
            rootdirectory: {Path.Combine(Root, "data")}
          delete:
            enabled: true
        http:
          addr: 127.0.0.1:{Port}
        {(authSection is null ? "" : "auth:\n" + authSection)}
        {(notificationsSection is null ? "" : "notifications:\n" + notificationsSection)}
        """;

    private async Task WaitUntilAnsweringAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (process!.IsCompleted)
                throw new InvalidOperationException($"docker-registry exited with code {(await process).ExitCode}");
            try
            {
                using var response = await http.GetAsync($"http://{Host}/v2/");
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"docker-registry on {Host} did not answer GET /v2/ within 30s");
            await Task.Delay(50);
        }
    }

    private void Append(string line)
    {
        lock (output) output.AppendLine(line);
    }

    private async Task StopAsync()
    {
        if (stop is null || kill is null || process is null) return;
        await stop.CancelAsync();
        kill.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await process;
        }
        catch (OperationCanceledException)
        {
        }
        stop.Dispose();
        kill.Dispose();
        stop = null;
        kill = null;
        process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}
