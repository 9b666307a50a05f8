using System.Text;
using CliWrap;
using CliWrap.Buffered;

namespace Slipway.Delivery.Platform.Supervision;

/// <summary>A program the supervisor keeps running: its launcher script, its log, how long it may take to stop (drain).</summary>
public sealed record SupervisedProgram(string Name, string Launcher, string LogFile, TimeSpan StopWait);

/// <summary>
/// The platform's long-lived processes (edge copies, agent) under Debian's supervisord, with a configuration of our
/// own under the platform directory and its control socket beside it (mode 700): a program that crashes or is
/// SIGKILLed is started again by supervisord at once. Programs never start by themselves: the build starts the ones
/// it wants (autostart off), so a supervisor restart cannot start an edge copy that should stay stopped.
/// </summary>
public sealed class PlatformSupervisor(string directory, IReadOnlyList<SupervisedProgram> programs, AptInstaller apt, IPlatformHost host, Serilog.ILogger log)
{
    public const string Supervisord = "/usr/bin/supervisord";
    public const string Supervisorctl = "/usr/bin/supervisorctl";
    const string InstallHint = "Install Debian's supervisor package ('sudo apt-get install supervisor'), then run ./build.sh Infrastructure again.";

    /// <summary>Closes every descriptor above stderr, then execs the command (python3: supervisord's own interpreter).</summary>
    const string WithoutInheritedDescriptors = "import os, sys; os.closerange(3, 65536); os.execv(sys.argv[1], sys.argv[1:])";

    public string ConfigFile => Path.Combine(directory, "supervisord.conf");
    string PidFile => Path.Combine(directory, "supervisord.pid");
    string Socket => Path.Combine(directory, "supervisor.sock");

    /// <summary>Installs supervisord where allowed, writes the configuration, and starts supervisord or makes it read a changed configuration.</summary>
    public async Task EnsureRunningAsync(CancellationToken cancellationToken)
    {
        await apt.EnsureAsync("supervisor", Supervisord, InstallHint, cancellationToken);
        Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var config = Config();
        var changed = !File.Exists(ConfigFile) || await File.ReadAllTextAsync(ConfigFile, cancellationToken) != config;
        if (changed) await File.WriteAllTextAsync(ConfigFile, config, cancellationToken);
        if (!IsRunning())
        {
            log.Information("Starting supervisord ({Config})", ConfigFile);
            // supervisord daemonizes itself (its own session, stdio on /dev/null): it outlives the build. Descriptors the
            // build inherited stay behind (e.g. the platform lock of 'flock lock ./build.sh ...', which a daemon holding it
            // would keep locked for as long as it runs).
            await host.RunAsync("python3", ["-c", WithoutInheritedDescriptors, Supervisord, "-c", ConfigFile], null, cancellationToken);
            await WaitAsync(async () => (await ControlAsync(["pid"], cancellationToken)).ExitCode == 0, TimeSpan.FromSeconds(20),
                "supervisord did not answer on its control socket", cancellationToken);
        }
        else if (changed)
        {
            log.Information("supervisord reads its changed configuration");
            await ControlOrThrowAsync(["update"], cancellationToken);
        }
    }

    /// <summary>RUNNING, STARTING, BACKOFF, STOPPED, EXITED, FATAL... or null when supervisord is not running.</summary>
    public async Task<string?> StateAsync(string program, CancellationToken cancellationToken)
    {
        if (!IsRunning()) return null;
        var result = await ControlAsync(["status", program], cancellationToken);
        var fields = result.StandardOutput.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 2 && fields[0] == program ? fields[1] : null;
    }

    public async Task<bool> IsRunningAsync(string program, CancellationToken cancellationToken) =>
        await StateAsync(program, cancellationToken) is "RUNNING" or "STARTING" or "BACKOFF";

    public Task StartAsync(string program, CancellationToken cancellationToken) => ControlOrThrowAsync(["start", program], cancellationToken);

    /// <summary>SIGTERM, then waits (up to the program's stop wait) until it drained and exited.</summary>
    public Task StopAsync(string program, CancellationToken cancellationToken) => ControlOrThrowAsync(["stop", program], cancellationToken);

    /// <summary>Stops every program (each drains) and supervisord itself, for good: nothing comes back until the next Infrastructure.</summary>
    public async Task<bool> ShutdownAsync(CancellationToken cancellationToken)
    {
        if (!IsRunning()) return false;
        var pid = ReadPid()!.Value;
        await ControlAsync(["shutdown"], cancellationToken);
        await WaitAsync(() => Task.FromResult(!host.IsRunning(pid)), TimeSpan.FromSeconds(90), "supervisord did not exit after 'shutdown'", cancellationToken);
        log.Information("supervisord and its programs stopped");
        return true;
    }

    public bool IsRunning() => ReadPid() is { } pid && host.IsRunning(pid) && host.CommandLineOf(pid)?.Contains("supervisord", StringComparison.Ordinal) == true;

    int? ReadPid() => File.Exists(PidFile) && int.TryParse(File.ReadAllText(PidFile).Trim(), out var pid) ? pid : null;

    async Task<BufferedCommandResult> ControlAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        await Cli.Wrap(Supervisorctl).WithArguments(["-c", ConfigFile, .. arguments]).WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(cancellationToken);

    async Task ControlOrThrowAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var result = await ControlAsync(arguments, cancellationToken);
        // supervisorctl answers 'ERROR (already started)' / '(not running)' for a no-op: that is the state we asked for.
        var output = result.StandardOutput + result.StandardError;
        if (result.ExitCode != 0 && !output.Contains("already started", StringComparison.Ordinal) && !output.Contains("not running", StringComparison.Ordinal))
            throw new PlatformCommandException($"supervisorctl {string.Join(' ', arguments)}", result.ExitCode,
                $"{output}{Environment.NewLine}(logs: {string.Join(", ", programs.Select(p => p.LogFile))})");
    }

    static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string failure, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new PlatformSetupException($"{failure} within {timeout.TotalSeconds:0}s.");
            await Task.Delay(100, cancellationToken);
        }
    }

    string Config()
    {
        var text = new StringBuilder();
        text.AppendLine("; Generated by ./build.sh Infrastructure: the platform's supervisor (edge copies, agent). Edits are overwritten.");
        text.AppendLine($"[unix_http_server]\nfile={Socket}\nchmod=0700\n");
        text.AppendLine($"[supervisord]\nlogfile={Path.Combine(directory, "supervisord.log")}\npidfile={PidFile}\ndirectory={directory}\nchildlogdir={directory}\n");
        text.AppendLine("[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n");
        text.AppendLine($"[supervisorctl]\nserverurl=unix://{Socket}\n");
        foreach (var program in programs)
        {
            text.AppendLine($"[program:{program.Name}]");
            text.AppendLine($"command=/bin/sh {program.Launcher}");
            // Started by the build, restarted by supervisord whenever it exits (crash, SIGKILL), however often.
            text.AppendLine("autostart=false\nautorestart=true\nstartsecs=1\nstartretries=1000");
            text.AppendLine($"stopsignal=TERM\nstopwaitsecs={(int)program.StopWait.TotalSeconds}\nstopasgroup=true\nkillasgroup=true");
            text.AppendLine($"redirect_stderr=true\nstdout_logfile={program.LogFile}\nstdout_logfile_maxbytes=20MB\nstdout_logfile_backups=2\n");
        }
        return text.ToString();
    }
}
