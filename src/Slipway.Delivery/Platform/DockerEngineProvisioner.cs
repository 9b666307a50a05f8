using Slipway.Delivery.Docker;

namespace Slipway.Delivery.Platform;

/// <summary>
/// Finds the Docker engine (DOCKER_HOST or the default socket). Where none answers and we are root on an
/// apt-based system, installs Debian's docker.io and starts dockerd detached, so it outlives the build.
/// Elsewhere it stops with a message that says what to install.
/// </summary>
public sealed class DockerEngineProvisioner
{
    /// <summary>Where Debian's docker.io puts dockerd (and where apt installs it).</summary>
    public const string Dockerd = "/usr/sbin/dockerd";

    /// <summary>Docker's own packages (docker-ce) put it in /usr/bin: an installed engine is started, not replaced.</summary>
    public static readonly IReadOnlyList<string> DockerdLocations = [Dockerd, "/usr/bin/dockerd"];
    const string InstallHint =
        "Install Docker Engine (https://docs.docker.com/engine/install/; Debian/Ubuntu: 'sudo apt-get install docker.io') " +
        "and start it ('sudo systemctl start docker' or 'sudo dockerd &'), or set DOCKER_HOST to a running engine.";

    readonly IPlatformHost _host;
    readonly AptInstaller _apt;
    readonly Serilog.ILogger _log;
    readonly Func<Uri, CancellationToken, Task<(string Version, string ApiVersion)>> _probe;
    readonly TimeSpan _startTimeout;

    /// <param name="probe">Asks the engine at an endpoint for its version; throws <see cref="DockerUnavailableException"/>
    /// when none answers. Defaults to <see cref="DockerEngine.ConnectAsync"/>.</param>
    public DockerEngineProvisioner(IPlatformHost host, AptInstaller apt, Serilog.ILogger log,
                                   Func<Uri, CancellationToken, Task<(string Version, string ApiVersion)>>? probe = null,
                                   TimeSpan? startTimeout = null)
    {
        _host = host;
        _apt = apt;
        _log = log;
        _probe = probe ?? ProbeAsync;
        _startTimeout = startTimeout ?? TimeSpan.FromSeconds(60);
    }

    public async Task<DockerEngineState> EnsureAsync(IReadOnlyDictionary<string, string?>? environment, string platformDirectory,
                                                     CancellationToken cancellationToken)
    {
        var endpoint = DockerEngine.Endpoint(environment);
        DockerUnavailableException unavailable;
        try
        {
            var (version, api) = await _probe(endpoint, cancellationToken);
            _log.Information("Docker engine {Version} (API {ApiVersion}) at {Endpoint}", version, api, endpoint);
            return new DockerEngineState(endpoint, version, api, Installed: false, Started: false);
        }
        catch (DockerUnavailableException exception)
        {
            unavailable = exception;
        }

        if (endpoint.ToString() != new Uri(DockerEngine.DefaultSocket).ToString())
            throw new PlatformSetupException(
                $"No Docker engine answers at DOCKER_HOST={endpoint} ({unavailable.InnerException?.Message}). Start that engine, " +
                "or unset DOCKER_HOST to use (and if needed install) the local one.", unavailable);
        var installedDockerd = DockerdLocations.FirstOrDefault(_host.FileExists);
        if (!_apt.CanInstall && !(_host.IsRoot && installedDockerd is not null))
            throw new PlatformSetupException(
                $"No Docker engine answers at {endpoint} and {_apt.WhyNotInstallable}. {InstallHint}", unavailable);

        _log.Warning("No Docker engine answers at {Endpoint}; bringing one up", endpoint);
        var installed = installedDockerd is null && await _apt.EnsureAsync("docker.io", Dockerd, InstallHint, cancellationToken);

        var logFile = Path.Combine(platformDirectory, "dockerd.log");
        var pid = await _host.StartDetachedAsync(installedDockerd ?? Dockerd, [], logFile, cancellationToken);
        _log.Information("Started dockerd (pid {Pid}), log {LogFile}", pid, logFile);

        var deadline = DateTime.UtcNow + _startTimeout;
        while (true)
        {
            try
            {
                var (version, api) = await _probe(endpoint, cancellationToken);
                _log.Information("Docker engine {Version} (API {ApiVersion}) at {Endpoint}", version, api, endpoint);
                return new DockerEngineState(endpoint, version, api, installed, Started: true);
            }
            catch (DockerUnavailableException exception) when (DateTime.UtcNow < deadline)
            {
                if (!_host.IsRunning(pid))
                    throw new PlatformSetupException(
                        $"dockerd exited right after starting; see {logFile}:{Environment.NewLine}{LogTail(logFile)}", exception);
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
            catch (DockerUnavailableException exception)
            {
                throw new PlatformSetupException(
                    $"dockerd was started (pid {pid}) but {endpoint} did not answer within {_startTimeout.TotalSeconds:0} s; " +
                    $"see {logFile}:{Environment.NewLine}{LogTail(logFile)}", exception);
            }
        }
    }

    static async Task<(string Version, string ApiVersion)> ProbeAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        using var client = await DockerEngine.ConnectAsync(endpoint, cancellationToken);
        var version = await client.System.GetVersionAsync(cancellationToken);
        return (version.Version, version.APIVersion);
    }

    internal static string LogTail(string logFile, int lines = 15)
    {
        if (!File.Exists(logFile)) return "(no log written)";
        var all = File.ReadAllLines(logFile);
        return string.Join(Environment.NewLine, all.Skip(Math.Max(0, all.Length - lines)));
    }
}
