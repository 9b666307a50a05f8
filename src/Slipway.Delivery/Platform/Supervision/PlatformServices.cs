using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Slipway.Delivery.AgentApi;
using Slipway.Edge.Contract;

namespace Slipway.Delivery.Platform.Supervision;

/// <summary>Where a program's binaries come from: a fingerprint of its sources, and how to publish them into a folder.</summary>
public sealed record ProgramSource(string Fingerprint, Func<string, CancellationToken, Task> PublishToAsync);

public sealed record PlatformServicesSettings
{
    /// <summary>The checkout the agent and the edge serve (their --root).</summary>
    public required string RootDirectory { get; init; }
    /// <summary>.nuke/platform: binaries, launchers, logs, the supervisor's configuration, the edge's state.</summary>
    public required string PlatformDirectory { get; init; }
    public required ProgramSource Edge { get; init; }
    public required ProgramSource Agent { get; init; }
    public int AgentPort { get; init; } = 8090;
    /// <summary>Further agent options (--instance, --config-repo, ...); never a secret.</summary>
    public IReadOnlyList<string> AgentArguments { get; init; } = [];
    /// <summary>Secrets of the agent: environment variable name → file holding the value (mode 600). The launcher reads them at each start.</summary>
    public IReadOnlyDictionary<string, string> AgentSecretFiles { get; init; } = new Dictionary<string, string>();
    /// <summary>Further environment variables of the agent that are not secrets (DOCKER_CONFIG: where the registry's credentials are).</summary>
    public IReadOnlyDictionary<string, string> AgentEnvironment { get; init; } = new Dictionary<string, string>();
    /// <summary>
    /// The registry's address (host:port) when the edge fronts it, forwarding to <see cref="RegistrySocket"/> (the
    /// registry <see cref="RegistryExposure.BehindEdge"/>). Null: the edge fronts no registry.
    /// </summary>
    public string? RegistryFront { get; init; }
    public string? RegistrySocket { get; init; }
    /// <summary>The dotnet host that runs the published copies.</summary>
    public string Dotnet { get; init; } = "dotnet";
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(90);
}

/// <summary>
/// The platform's two long-lived services under <see cref="PlatformSupervisor"/>: the edge (data plane, two copies
/// "blue" and "green" so an upgrade hands its ports over: the new copy binds them too, SO_REUSEPORT, takes the admin
/// socket, and only then the old one drains and stops) and the agent (control plane, restarted freely: it carries no
/// traffic). Each runs from its own published copy, replaced only when its sources change.
/// </summary>
public sealed class PlatformServices
{
    public static readonly string[] EdgeColors = ["blue", "green"];
    const string AgentProgram = "agent";
    static readonly TimeSpan EdgeDrain = TimeSpan.FromSeconds(30);

    readonly PlatformServicesSettings settings;
    readonly IPlatformHost host;
    readonly Serilog.ILogger log;

    public PlatformServices(PlatformServicesSettings settings, AptInstaller apt, IPlatformHost host, Serilog.ILogger log)
    {
        this.settings = settings;
        this.host = host;
        this.log = log;
        Supervisor = new PlatformSupervisor(SupervisorDirectory,
            [.. EdgeColors.Select(color => new SupervisedProgram(EdgeProgram(color), Launcher(EdgeProgram(color)), Path.Combine(settings.PlatformDirectory, $"{EdgeProgram(color)}.log"),
                EdgeDrain + TimeSpan.FromSeconds(10))),
             new SupervisedProgram(AgentProgram, Launcher(AgentProgram), AgentLog, TimeSpan.FromSeconds(20))],
            apt, host, log);
    }

    public PlatformSupervisor Supervisor { get; }
    public string SupervisorDirectory => Path.Combine(settings.PlatformDirectory, "supervisor");
    public string EdgeStateDirectory => Path.Combine(settings.PlatformDirectory, "edge");
    public string EdgeAdminSocket => Path.Combine(EdgeStateDirectory, "admin.sock");
    public string AgentLog => Path.Combine(settings.PlatformDirectory, "agent.log");
    string AgentBinaries => Path.Combine(settings.PlatformDirectory, "agent-bin");
    string LegacyAgentPidFile => Path.Combine(settings.PlatformDirectory, "agent", "agent.pid");
    static string EdgeProgram(string color) => $"edge-{color}";
    string EdgeBinaries(string color) => Path.Combine(settings.PlatformDirectory, $"edge-bin-{color}");
    string Launcher(string program) => Path.Combine(SupervisorDirectory, $"{program}.sh");

    /// <summary>Brings the supervisor, the edge and the agent up to this checkout's sources (idempotent).</summary>
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        await Supervisor.EnsureRunningAsync(cancellationToken);
        WriteLaunchers();
        EnableListenerMigration();
        await EnsureEdgeAsync(cancellationToken);
        await EnsureAgentAsync(cancellationToken);
    }

    /// <summary>Stops the agent and the edge for good (supervisord with them).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!await Supervisor.ShutdownAsync(cancellationToken)) log.Information("No supervisor running ({Config})", Supervisor.ConfigFile);
        await AgentProcess.StopAsync(LegacyAgentPidFile, log, cancellationToken: cancellationToken);
    }

    /// <summary>The edge copy holding the admin socket, when it runs.</summary>
    public async Task<string?> ServingEdgeAsync(CancellationToken cancellationToken)
    {
        var target = new FileInfo(EdgeAdminSocket).LinkTarget;
        var color = EdgeColors.FirstOrDefault(c => target == $"admin-{c}.sock");
        return color is not null && await Supervisor.IsRunningAsync(EdgeProgram(color), cancellationToken) ? color : null;
    }

    async Task EnsureEdgeAsync(CancellationToken cancellationToken)
    {
        var serving = await ServingEdgeAsync(cancellationToken);
        if (serving is not null && PublishedFingerprint(EdgeBinaries(serving)) == EdgeSource.Fingerprint)
        {
            log.Information("Edge ({Color}) already running, serving {Socket}", serving, EdgeAdminSocket);
            await WaitForRegistryFrontAsync(serving, cancellationToken);
            return;
        }
        var next = serving == "blue" ? "green" : "blue";
        if (await Supervisor.IsRunningAsync(EdgeProgram(next), cancellationToken)) await Supervisor.StopAsync(EdgeProgram(next), cancellationToken);
        await PublishAsync(EdgeSource, EdgeBinaries(next), cancellationToken);
        log.Information(serving is null ? "Starting the edge ({Next})" : "Upgrading the edge: {Next} takes the ports and the admin socket over from {Serving}", next, serving);
        await Supervisor.StartAsync(EdgeProgram(next), cancellationToken);
        await WaitAsync(() => EdgeServesAsync(next, cancellationToken), $"the edge ({next}) did not take {EdgeAdminSocket}",
            Path.Combine(settings.PlatformDirectory, $"{EdgeProgram(next)}.log"), cancellationToken);
        if (serving is not null)
        {
            await Supervisor.StopAsync(EdgeProgram(serving), cancellationToken);
            log.Information("Edge {Serving} drained and stopped; {Next} serves", serving, next);
        }
        await WaitForRegistryFrontAsync(next, cancellationToken);
    }

    /// <summary>The edge's sources plus its registry front: a copy started with another front is replaced like one from other sources.</summary>
    ProgramSource EdgeSource => settings.RegistryFront is null ? settings.Edge
        : settings.Edge with { Fingerprint = $"{settings.Edge.Fingerprint} registry-front={settings.RegistryFront},{settings.RegistrySocket}" };

    /// <summary>When the edge fronts the registry, the registry answers there (through the edge) before the build goes on.</summary>
    async Task WaitForRegistryFrontAsync(string color, CancellationToken cancellationToken)
    {
        if (settings.RegistryFront is not { } front) return;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await WaitAsync(async () => (await RegistryServer.ProbeAsync(http, front, cancellationToken)).Kind == RegistryServer.AnswerKind.Registry,
            $"the registry did not answer through the edge ({color}) on http://{front}/v2/", Path.Combine(settings.PlatformDirectory, $"{EdgeProgram(color)}.log"), cancellationToken);
        log.Information("Registry served through the edge on {Front}", front);
    }

    async Task<bool> EdgeServesAsync(string color, CancellationToken cancellationToken)
    {
        if (new FileInfo(EdgeAdminSocket).LinkTarget != $"admin-{color}.sock") return false;
        using var http = EdgeAdminApi.CreateClient(Path.Combine(EdgeStateDirectory, $"admin-{color}.sock"), TimeSpan.FromSeconds(5));
        try
        {
            using var response = await http.GetAsync(EdgeAdminApi.Health, cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    async Task EnsureAgentAsync(CancellationToken cancellationToken)
    {
        var running = await Supervisor.IsRunningAsync(AgentProgram, cancellationToken);
        if (!running)
        {
            // An agent of the days before supervision (setsid, pid file): ours, so it makes room for the supervised one.
            await AgentProcess.StopAsync(LegacyAgentPidFile, log, cancellationToken: cancellationToken);
            if (PortTaken(settings.AgentPort))
                throw new PlatformSetupException(
                    $"127.0.0.1:{settings.AgentPort}, the agent's port, is taken by a process this platform did not start. Stop that process " +
                    $"('ss -ltnp sport = :{settings.AgentPort}' names it) or give the agent another port (--agent-port), then run ./build.sh Infrastructure again.");
        }
        if (running && PublishedFingerprint(AgentBinaries) == settings.Agent.Fingerprint)
        {
            log.Information("Agent already running on 127.0.0.1:{Port}", settings.AgentPort);
            return;
        }
        // Publish beside the running copy (overwriting a running agent's assemblies could crash it), then swap. The
        // environments keep serving through the edge while the agent restarts.
        var next = AgentBinaries + ".next";
        await PublishAsync(settings.Agent, next, cancellationToken);
        if (running)
        {
            log.Information("Restarting the agent from sources that changed (traffic stays on the edge)");
            await Supervisor.StopAsync(AgentProgram, cancellationToken);
        }
        if (Directory.Exists(AgentBinaries)) Directory.Delete(AgentBinaries, recursive: true);
        Directory.Move(next, AgentBinaries);
        await Supervisor.StartAsync(AgentProgram, cancellationToken);
        using var client = AgentClient.ForPort(settings.AgentPort);
        await WaitAsync(() => client.IsRunningAsync(cancellationToken), $"the agent did not answer on 127.0.0.1:{settings.AgentPort}", AgentLog, cancellationToken);
        log.Information("Agent is up on 127.0.0.1:{Port} (log {Log})", settings.AgentPort, AgentLog);
    }

    static async Task PublishAsync(ProgramSource source, string directory, CancellationToken cancellationToken)
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        await source.PublishToAsync(directory, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory, "source-fingerprint"), source.Fingerprint + "\n", cancellationToken);
    }

    static string? PublishedFingerprint(string directory)
    {
        var file = Path.Combine(directory, "source-fingerprint");
        return File.Exists(file) ? File.ReadAllText(file).Trim() : null;
    }

    async Task WaitAsync(Func<Task<bool>> condition, string failure, string logFile, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + settings.StartTimeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new PlatformSetupException($"{failure} within {settings.StartTimeout.TotalSeconds:0}s. Last lines of {logFile}:{Environment.NewLine}{Tail(logFile)}");
            await Task.Delay(200, cancellationToken);
        }
    }

    static string Tail(string file) =>
        File.Exists(file) ? string.Join(Environment.NewLine, File.ReadLines(file).TakeLast(20)) : "(no log)";

    static bool PortTaken(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>
    /// net.ipv4.tcp_migrate_req=1 (Linux 5.14+): connections queued on a closing listener move to another listener of
    /// the same port (the new edge copy) instead of being reset. Root only; without it a handover can reset the few
    /// connections accepted by the kernel but not yet by the old copy in its last instant.
    /// </summary>
    void EnableListenerMigration()
    {
        const string setting = "/proc/sys/net/ipv4/tcp_migrate_req";
        if (!host.IsRoot || !File.Exists(setting))
        {
            log.Information("net.ipv4.tcp_migrate_req left as it is (needs root and Linux 5.14+): an edge upgrade may reset connections queued at the old copy's last instant");
            return;
        }
        try
        {
            if (File.ReadAllText(setting).Trim() != "1") File.WriteAllText(setting, "1");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            log.Warning("Could not set net.ipv4.tcp_migrate_req=1 ({Reason}): an edge upgrade may reset connections queued at the old copy's last instant", exception.Message);
        }
    }

    void WriteLaunchers()
    {
        foreach (var color in EdgeColors)
            WriteLauncher(EdgeProgram(color), new StringBuilder()
                .AppendLine($"exec {Quote(settings.Dotnet)} {Quote(Path.Combine(EdgeBinaries(color), "Slipway.Edge.dll"))} --root {Quote(settings.RootDirectory)} " +
                            $"--state-dir {Quote(EdgeStateDirectory)} --name {color} --drain {EdgeDrain.TotalSeconds.ToString(CultureInfo.InvariantCulture)}" +
                            (settings.RegistryFront is { } front ? $" --registry-front {Quote(front)} --registry-socket {Quote(settings.RegistrySocket!)}" : "")));
        var agent = new StringBuilder();
        agent.AppendLine("# Secrets go from their files (mode 600) into the environment here, never onto a command line.");
        foreach (var (variable, file) in settings.AgentSecretFiles)
            agent.AppendLine($"if [ -f {Quote(file)} ]; then {variable}=\"$(cat {Quote(file)})\"; export {variable}; fi");
        foreach (var (variable, value) in settings.AgentEnvironment)
            agent.AppendLine($"{variable}={Quote(value)}; export {variable}");
        agent.AppendLine($"exec {Quote(settings.Dotnet)} {Quote(Path.Combine(AgentBinaries, "Slipway.Agent.dll"))} --root {Quote(settings.RootDirectory)} " +
                         $"--api-port {settings.AgentPort.ToString(CultureInfo.InvariantCulture)} --edge-socket {Quote(EdgeAdminSocket)} " +
                         string.Join(' ', settings.AgentArguments.Select(Quote)));
        WriteLauncher(AgentProgram, agent);
    }

    void WriteLauncher(string program, StringBuilder body)
    {
        var path = Launcher(program);
        File.WriteAllText(path, $"#!/bin/sh\n# Generated by ./build.sh Infrastructure; supervisord runs it as program '{program}'.\n{body}");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
