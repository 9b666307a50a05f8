using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Slipway.Edge.Contract.Loopback;

namespace Slipway.Delivery.Platform;

/// <summary>
/// The local OCI registry: CNCF distribution (Debian's docker-registry) serving <c>host:port</c>, with its
/// configuration, data, log, pid file and credentials (<see cref="RegistryAuthFiles"/>) under <c>.nuke/platform/registry</c>
/// (mode 700). Every request needs the credentials; deletes are off. Distribution checks no Host, so on the platform it
/// listens on a unix socket there and the edge serves the address (<see cref="RegistryExposure.BehindEdge"/>). Reuses
/// only the registry it started itself; refuses a port that anything else holds, a registry included.
/// </summary>
/// <remarks>
/// Where no docker-registry binary can be had but images can be pulled, the same server runs as the
/// <c>registry:2</c> image (port published on 127.0.0.1, data as a bind mount). That path is not implemented:
/// this machine can pull no image, so it could not be tested.
/// </remarks>
public sealed class RegistryServer
{
    public const string Binary = "/usr/bin/docker-registry";
    const string InstallHint =
        "Install the CNCF distribution registry (Debian/Ubuntu: 'sudo apt-get install docker-registry'), " +
        "or run one yourself on that address (for example 'docker run -d -p 127.0.0.1:5000:5000 registry:2').";

    readonly IPlatformHost _host;
    readonly AptInstaller _apt;
    readonly Serilog.ILogger _log;
    readonly HttpClient _http;
    readonly TimeSpan _startTimeout;

    public RegistryServer(IPlatformHost host, AptInstaller apt, Serilog.ILogger log, HttpClient? http = null, TimeSpan? startTimeout = null)
    {
        _host = host;
        _apt = apt;
        _log = log;
        _http = http ?? new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        _startTimeout = startTimeout ?? TimeSpan.FromSeconds(30);
    }

    public static string DirectoryUnder(string platformDirectory) => Path.Combine(platformDirectory, "registry");

    /// <summary>The unix socket the registry listens on when it is <see cref="RegistryExposure.BehindEdge"/>.</summary>
    public static string SocketUnder(string platformDirectory) => new RegistryPaths(DirectoryUnder(platformDirectory)).Socket;

    public Task<LocalRegistryState> EnsureAsync(string address, string platformDirectory, CancellationToken cancellationToken) =>
        EnsureAsync(address, platformDirectory, RegistryExposure.Direct, cancellationToken);

    public async Task<LocalRegistryState> EnsureAsync(string address, string platformDirectory, RegistryExposure exposure, CancellationToken cancellationToken)
    {
        var (host, port) = ParseAddress(address);
        var paths = new RegistryPaths(DirectoryUnder(platformDirectory));
        var behindEdge = exposure == RegistryExposure.BehindEdge;
        // Behind the edge, the registry itself is reached on its socket only; the edge serves the address.
        using var socketHttp = behindEdge ? new HttpClient(UnixSocketHttp.Handler(paths.Socket)) { Timeout = _http.Timeout } : null;
        Task<Answer> ProbeOursAsync() => ProbeAsync(socketHttp ?? _http, address, cancellationToken);
        var credentials = RegistryAuthFiles.Under(platformDirectory);
        var ours = RunningOurs(paths);
        if (ours is not null && (await ProbeOursAsync()).Kind != AnswerKind.Nothing)
        {
            credentials.Ensure(address);
            if (File.Exists(paths.Config) && await File.ReadAllTextAsync(paths.Config, cancellationToken) == Configuration(address, paths, credentials.Htpasswd, exposure))
            {
                _log.Information("Registry (pid {Pid}) already answering at {Address}; reusing it", ours, behindEdge ? paths.Socket : address);
                return new LocalRegistryState(address, Started: false);
            }
            // Ours, but started with another configuration (an older platform: no authentication, deletes on, on TCP).
            _log.Information("Restarting the registry (pid {Pid}) with the current configuration", ours);
            await StopAsync(platformDirectory, cancellationToken);
        }
        if (behindEdge)
            await RefuseStrangerOnSharedPortAsync(address, host, port, paths, cancellationToken);
        else
            await RefuseStrangerOnPortAsync(address, host, port, paths, cancellationToken);

        await _apt.EnsureAsync("docker-registry", Binary, InstallHint, cancellationToken);

        Directory.CreateDirectory(paths.Data);
        // Data, credentials and the socket: the platform's user only.
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(paths.Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        credentials.Ensure(address);
        await File.WriteAllTextAsync(paths.Config, Configuration(address, paths, credentials.Htpasswd, exposure), cancellationToken);

        var pid = await _host.StartDetachedAsync(Binary, ["serve", paths.Config], paths.Log, cancellationToken);
        await File.WriteAllTextAsync(paths.PidFile, pid.ToString(CultureInfo.InvariantCulture), cancellationToken);
        _log.Information("Started docker-registry (pid {Pid}) on {Address}, data {Data}", pid, behindEdge ? paths.Socket : address, paths.Data);

        var deadline = DateTime.UtcNow + _startTimeout;
        while (true)
        {
            var probe = await ProbeOursAsync();
            if (probe.Kind == AnswerKind.Registry)
            {
                if (_host.IsRunning(pid))
                    return new LocalRegistryState(address, Started: true);
                // Something took the address a moment before ours could bind: never reused, as above.
                File.Delete(paths.PidFile);
                throw new PlatformSetupException(
                    $"Port {port} on {host} was taken by another registry while ours started; it is not reused. " +
                    $"Stop it, or {OtherAddress(host, port)}");
            }
            if (!_host.IsRunning(pid))
                throw new PlatformSetupException(
                    $"docker-registry exited right after starting; see {paths.Log}:{Environment.NewLine}" +
                    DockerEngineProvisioner.LogTail(paths.Log));
            if (DateTime.UtcNow > deadline)
                throw new PlatformSetupException(
                    $"docker-registry (pid {pid}) did not answer GET /v2/ on {(behindEdge ? paths.Socket : address)} within {_startTimeout.TotalSeconds:0} s " +
                    $"({probe.Description}); see {paths.Log}.");
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }

    /// <summary>
    /// Stops the registry this platform started (by its pid file); a registry someone else runs is left alone.
    /// Returns whether it stopped one.
    /// </summary>
    public async Task<bool> StopAsync(string platformDirectory, CancellationToken cancellationToken)
    {
        var paths = new RegistryPaths(DirectoryUnder(platformDirectory));
        if (!File.Exists(paths.PidFile))
            return false;
        var pid = int.Parse((await File.ReadAllTextAsync(paths.PidFile, cancellationToken)).Trim(), CultureInfo.InvariantCulture);
        var commandLine = _host.CommandLineOf(pid);
        // A pid file can outlive its process and the pid be reused: only stop the registry serving our config.
        var ours = commandLine is not null && commandLine.Contains(Binary, StringComparison.Ordinal)
                                          && commandLine.Contains(paths.Config, StringComparison.Ordinal);
        if (ours)
        {
            await _host.TerminateAsync(pid, TimeSpan.FromSeconds(10), cancellationToken);
            _log.Information("Stopped docker-registry (pid {Pid})", pid);
        }
        File.Delete(paths.PidFile);
        return ours;
    }

    /// <summary>The registry serves the address itself: the port must be free (never a registry someone else runs, which may be open to anyone).</summary>
    async Task RefuseStrangerOnPortAsync(string address, string host, int port, RegistryPaths paths, CancellationToken cancellationToken)
    {
        var probe = await ProbeAsync(address, cancellationToken);
        switch (probe.Kind)
        {
            case AnswerKind.Registry:
                throw new PlatformSetupException(
                    $"Port {port} on {host} is held by a registry this platform did not start (no live pid in {paths.PidFile}); it is not reused. " +
                    $"Stop it, or {OtherAddress(host, port)}");
            case AnswerKind.SomethingElse:
                throw new PlatformSetupException(
                    $"Port {port} on {host} is taken by something that is not an OCI registry ({probe.Description}). " +
                    $"Stop it, or {OtherAddress(host, port)}");
        }
        if (!CanBind(host, port, out var bindError))
            throw new PlatformSetupException(
                $"Port {port} on {host} cannot be used ({bindError}) yet no HTTP server answers there. " +
                $"Free it, or {OtherAddress(host, port)}");
    }

    /// <summary>
    /// The edge will serve the address: the port must be free or held only by the edge (whose listeners share their
    /// ports, SO_REUSEPORT); anything else holding it is reported, a registry included. A stale socket is removed.
    /// </summary>
    async Task RefuseStrangerOnSharedPortAsync(string address, string host, int port, RegistryPaths paths, CancellationToken cancellationToken)
    {
        if (!SharedPortSocket.CanShare(new IPEndPoint(IPAddress.Parse(host), port), out var bindError))
        {
            var probe = await ProbeAsync(address, cancellationToken);
            throw new PlatformSetupException(
                $"Port {port} on {host}, where the edge serves the registry, is held by a process this platform did not start " +
                $"({(probe.Kind == AnswerKind.Nothing ? bindError : probe.Description)}); it is not reused. Stop it ('ss -ltnp sport = :{port}' names it), " +
                $"or {OtherAddress(host, port)}");
        }
        if (File.Exists(paths.Socket)) File.Delete(paths.Socket);
    }

    /// <summary>The fix every refusal of the address ends with.</summary>
    static string OtherAddress(string host, int port) =>
        $"choose another registry address with --registry (for example --registry {host}:{port + 1}).";

    /// <summary>The pid of the registry this platform started, when it still runs serving our configuration.</summary>
    int? RunningOurs(RegistryPaths paths)
    {
        if (!File.Exists(paths.PidFile)
            || !int.TryParse(File.ReadAllText(paths.PidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || !_host.IsRunning(pid))
            return null;
        var commandLine = _host.CommandLineOf(pid);
        return commandLine is not null && commandLine.Contains(Binary, StringComparison.Ordinal) && commandLine.Contains(paths.Config, StringComparison.Ordinal)
            ? pid
            : null;
    }

    public enum AnswerKind { Nothing, Registry, SomethingElse }

    public sealed record Answer(AnswerKind Kind, string Description);

    /// <summary>What answers GET http://address/v2/: a distribution registry, something else, or nothing.</summary>
    public Task<Answer> ProbeAsync(string address, CancellationToken cancellationToken) => ProbeAsync(_http, address, cancellationToken);

    /// <summary>As <see cref="ProbeAsync(string, CancellationToken)"/>, through <paramref name="http"/> (e.g. the edge's front, or the registry's socket).</summary>
    public static async Task<Answer> ProbeAsync(HttpClient http, string address, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync($"http://{address}/v2/", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.Headers.TryGetValues("Docker-Distribution-Api-Version", out var versions)
                && versions.Contains("registry/2.0"))
                return new Answer(AnswerKind.Registry, "distribution registry");
            var server = response.Headers.Server.ToString();
            return new Answer(AnswerKind.SomethingElse,
                $"GET /v2/ answered {(int)response.StatusCode} {response.ReasonPhrase}" +
                (server.Length > 0 ? $" from '{server}'" : "") + " without the Docker-Distribution-Api-Version: registry/2.0 header");
        }
        // Refused on TCP; on a unix socket, also no socket file (yet).
        catch (HttpRequestException exception) when (exception.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.AddressNotAvailable })
        {
            return new Answer(AnswerKind.Nothing, "connection refused");
        }
        catch (HttpRequestException exception)
        {
            return new Answer(AnswerKind.SomethingElse, $"it does not speak HTTP: {exception.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new Answer(AnswerKind.SomethingElse, "it accepts connections but does not answer HTTP within the timeout");
        }
    }

    static bool CanBind(string host, int port, out string error)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Parse(host), port);
            listener.Start();
            listener.Stop();
            error = "";
            return true;
        }
        catch (SocketException exception)
        {
            error = exception.Message;
            return false;
        }
    }

    /// <summary>The registry must listen on loopback only: an address is host:port with an IP host, e.g. 127.0.0.1:5000.</summary>
    public static (string Host, int Port) ParseAddress(string address)
    {
        var colon = address.LastIndexOf(':');
        if (colon > 0 && IPAddress.TryParse(address[..colon], out var ip)
            && int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536)
        {
            if (!IPAddress.IsLoopback(ip))
                throw new PlatformSetupException(
                    $"Registry address '{address}' is not on loopback; the embedded registry serves 127.0.0.1 only (e.g. --registry 127.0.0.1:5000).");
            return (ip.ToString(), port);
        }
        throw new PlatformSetupException($"Registry address '{address}' is not host:port with an IP host; use e.g. --registry 127.0.0.1:5000.");
    }

    /// <summary>Pushes and pulls need the platform's credentials (htpasswd, bcrypt); nothing is ever deleted through the API.</summary>
    static string Configuration(string address, RegistryPaths paths, string htpasswd, RegistryExposure exposure) =>
        $"""
        # Written by Slipway's Infrastructure target; regenerated on every start.
        version: 0.1
        log:
          level: info
          formatter: text
        storage:
          filesystem:
            rootdirectory: '{Quoted(paths.Data)}'
          delete:
            enabled: false
        auth:
          htpasswd:
            realm: slipway
            path: '{Quoted(htpasswd)}'
        http:
        {(exposure == RegistryExposure.BehindEdge ? $"  net: unix\n  addr: '{Quoted(paths.Socket)}'" : $"  addr: {address}")}
          headers:
            X-Content-Type-Options: [nosniff]
        health:
          storagedriver:
            enabled: false

        """;

    static string Quoted(string path) => path.Replace("'", "''", StringComparison.Ordinal);

    sealed record RegistryPaths(string Directory)
    {
        public string Socket => Path.Combine(Directory, "registry.sock");
        public string Config => Path.Combine(Directory, "config.yml");
        public string Data => Path.Combine(Directory, "data");
        public string Log => Path.Combine(Directory, "registry.log");
        public string PidFile => Path.Combine(Directory, "registry.pid");
    }
}

/// <summary>How the registry is reached at its address.</summary>
public enum RegistryExposure
{
    /// <summary>docker-registry listens on the address itself (it checks no Host).</summary>
    Direct,

    /// <summary>docker-registry listens on a unix socket in a directory of mode 700; the edge serves the address and checks Host.</summary>
    BehindEdge,
}
