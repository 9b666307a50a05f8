using System.Diagnostics;
using System.Runtime.InteropServices;
using Docker.DotNet;
using Docker.DotNet.Models;
using Serilog;
using Slipway.Delivery.Docker;

namespace Slipway.Delivery.AgentApi;

/// <summary>How to start the agent in the background.</summary>
public sealed record AgentLaunchSettings
{
    /// <summary>Slipway.Agent.dll (run with <c>dotnet</c>) or the agent's native executable.</summary>
    public required string AgentPath { get; init; }
    /// <summary>stdout and stderr of the agent are appended here (e.g. .nuke/platform/agent.log).</summary>
    public required string LogFile { get; init; }
    /// <summary>The agent writes its process id here; <see cref="AgentProcess.StopAsync"/> reads it.</summary>
    public required string PidFile { get; init; }
    public int ApiPort { get; init; } = 8090;
    /// <summary>Further agent options, e.g. <c>--root</c>, <c>--config-repo</c>, <c>--environments</c>.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];
    /// <summary>Environment for the agent process; secrets go here (SLIPWAY_AGENT_WEBHOOK_SECRET), never in arguments.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

public enum AgentStartOutcome { AlreadyRunning, Started }

/// <summary>Starts the agent detached from the caller (it outlives the build) and stops it again.</summary>
public static class AgentProcess
{
    /// <summary>Starts the agent unless one already answers on the API port; returns once its /healthz answers.</summary>
    public static async Task<AgentStartOutcome> EnsureRunningAsync(AgentLaunchSettings settings, ILogger logger, CancellationToken cancellationToken = default)
    {
        using var client = AgentClient.ForPort(settings.ApiPort);
        if (await client.IsRunningAsync(cancellationToken))
        {
            logger.Information("Agent already running on 127.0.0.1:{Port}", settings.ApiPort);
            return AgentStartOutcome.AlreadyRunning;
        }
        if (!File.Exists(settings.AgentPath))
            throw new FileNotFoundException($"The agent is not built at {settings.AgentPath}. Build src/Slipway.Agent first.", settings.AgentPath);

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(settings.LogFile))!);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(settings.PidFile))!);
        var command = settings.AgentPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? new List<string> { "dotnet", settings.AgentPath }
            : [settings.AgentPath];
        command.AddRange(["--api-port", settings.ApiPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--pid-file", Path.GetFullPath(settings.PidFile)]);
        command.AddRange(settings.Arguments);

        // setsid -f: a new session, so the agent survives the build's exit and terminal; the shell only redirects.
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false };
        foreach (var argument in (string[])["-f", "/bin/sh", "-c", "exec \"$0\" \"$@\" >>\"$SLIPWAY_AGENT_LOG\" 2>&1 </dev/null"])
            start.ArgumentList.Add(argument);
        foreach (var argument in command) start.ArgumentList.Add(argument);
        start.Environment["SLIPWAY_AGENT_LOG"] = Path.GetFullPath(settings.LogFile);
        foreach (var (name, value) in settings.Environment) start.Environment[name] = value;
        using (var launcher = Process.Start(start) ?? throw new InvalidOperationException("Could not run setsid to start the agent."))
            await launcher.WaitForExitAsync(cancellationToken);
        logger.Information("Agent starting in the background (API 127.0.0.1:{Port}, log {Log})", settings.ApiPort, settings.LogFile);

        var deadline = DateTimeOffset.UtcNow + settings.StartTimeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (await client.IsRunningAsync(cancellationToken))
            {
                logger.Information("Agent is up (pid {Pid})", ReadPid(settings.PidFile));
                return AgentStartOutcome.Started;
            }
            await Task.Delay(250, cancellationToken);
        }
        throw new TimeoutException($"The agent did not answer on 127.0.0.1:{settings.ApiPort} within {settings.StartTimeout.TotalSeconds:0}s. " +
                                   $"Last lines of {settings.LogFile}:{System.Environment.NewLine}{Tail(settings.LogFile, 20)}");
    }

    /// <summary>Stops the agent named by the pid file (SIGTERM, then SIGKILL after <paramref name="timeout"/>). False when none was running.</summary>
    public static async Task<bool> StopAsync(string pidFile, ILogger logger, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var pid = ReadPid(pidFile);
        if (pid is null || !IsAgentProcess(pid.Value))
        {
            logger.Information("No agent running (pid file {PidFile})", pidFile);
            TryDelete(pidFile);
            return false;
        }
        using var process = Process.GetProcessById(pid.Value);
        _ = SendSignal(pid.Value, SigTerm);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(timeout ?? TimeSpan.FromSeconds(15));
        try
        {
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            logger.Warning("Agent pid {Pid} did not stop after SIGTERM; killing it", pid);
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(cancellationToken);
        }
        TryDelete(pidFile);
        logger.Information("Agent pid {Pid} stopped", pid);
        return true;
    }

    /// <summary>Removes every container and network the agent instance created (label <c>slipway.agent=&lt;instance&gt;</c>); returns how many containers.</summary>
    public static async Task<int> RemoveContainersAsync(string instance, ILogger logger, CancellationToken cancellationToken = default)
    {
        using var docker = await DockerEngine.ConnectAsync(cancellationToken: cancellationToken);
        var containers = await docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"{AgentLabels.Agent}={instance}"] = true } },
        }, cancellationToken);
        foreach (var container in containers)
        {
            try
            {
                await docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true }, cancellationToken);
                logger.Information("Removed container {Name}", container.Names.FirstOrDefault()?.TrimStart('/'));
            }
            catch (DockerContainerNotFoundException)
            {
            }
        }
        // The environments' networks go with their containers (engines have a limited pool of bridge subnets).
        var networks = await docker.Networks.ListNetworksAsync(new NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"{AgentLabels.Agent}={instance}"] = true } },
        }, cancellationToken);
        foreach (var network in networks)
        {
            try
            {
                await docker.Networks.DeleteNetworkAsync(network.ID, cancellationToken);
            }
            catch (DockerApiException exception) when (exception.StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.Conflict)
            {
                logger.Warning("Network {Network} was not removed: {Reason}", network.Name, exception.Message);
            }
        }
        return containers.Count;
    }

    static int? ReadPid(string pidFile) =>
        File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) ? pid : null;

    // The pid file may be stale and the number reused: only signal a process that is really the agent.
    static bool IsAgentProcess(int pid)
    {
        var cmdline = $"/proc/{pid}/cmdline";
        return File.Exists(cmdline) && File.ReadAllText(cmdline).Contains("Slipway.Agent", StringComparison.Ordinal);
    }

    static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { }
    }

    static string Tail(string file, int lines) =>
        File.Exists(file) ? string.Join(System.Environment.NewLine, File.ReadLines(file).TakeLast(lines)) : "(no log)";

    const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int SendSignal(int pid, int signal);
}

/// <summary>Docker labels the agent puts on every container it runs; the agent's whole state is derived from them and Git.</summary>
public static class AgentLabels
{
    public const string Agent = "slipway.agent";
    public const string Environment = "slipway.environment";
    public const string App = "slipway.app";
    public const string Revision = "slipway.revision";
    public const string TemplateHash = "slipway.template-hash";
    public const string Replica = "slipway.replica";
    public const string Image = "slipway.image";
}
