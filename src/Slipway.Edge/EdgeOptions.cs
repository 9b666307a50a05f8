using System.Globalization;
using System.Net;

namespace Slipway.Edge;

/// <summary>The edge's settings, from the command line (<c>--state-dir DIR</c>) or <c>SLIPWAY_EDGE_*</c> environment variables.</summary>
public sealed record EdgeOptions
{
    /// <summary>Where the route table and the admin sockets live (--state-dir; default &lt;root&gt;/.nuke/platform/edge).</summary>
    public required string StateDirectory { get; init; }

    /// <summary>This copy's name (--name blue): its admin socket is admin-&lt;name&gt;.sock, so two copies can run during an upgrade.</summary>
    public string Name { get; init; } = "edge";

    /// <summary>A request a replica leaves without any activity this long fails over to another replica and ejects it (--replica-timeout 1.5).</summary>
    public TimeSpan ReplicaTimeout { get; init; } = TimeSpan.FromSeconds(1.5);

    /// <summary>How long a stopping edge lets in-flight requests finish (--drain 30).</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Where the edge fronts the platform's registry (--registry-front 127.0.0.1:5000), forwarding to the registry's unix
    /// socket (--registry-socket PATH) every request that names a loopback Host. Null: no registry front.
    /// </summary>
    public IPEndPoint? RegistryFront { get; init; }

    public string? RegistrySocket { get; init; }

    /// <summary>The route table, written atomically after every change and read when the edge starts.</summary>
    public string RouteTableFile => Path.Combine(StateDirectory, "routes.json");

    /// <summary>The path the agent connects to: a symbolic link to the admin socket of the copy that serves (the newest).</summary>
    public string AdminSocket => Path.Combine(StateDirectory, "admin.sock");

    public string OwnAdminSocket => Path.Combine(StateDirectory, $"admin-{Name}.sock");

    public static readonly IReadOnlyDictionary<string, string> SwitchMappings = new Dictionary<string, string>
    {
        ["--root"] = "Edge:Root",
        ["--state-dir"] = "Edge:StateDir",
        ["--name"] = "Edge:Name",
        ["--replica-timeout"] = "Edge:ReplicaTimeout",
        ["--drain"] = "Edge:Drain",
        ["--registry-front"] = "Edge:RegistryFront",
        ["--registry-socket"] = "Edge:RegistrySocket",
    };

    public static EdgeOptions From(IConfiguration configuration)
    {
        string? Get(string key, string variable) =>
            configuration[$"Edge:{key}"] is { Length: > 0 } value ? value
            : configuration[variable] is { Length: > 0 } env ? env
            : null;

        var root = Path.GetFullPath(Get("Root", "SLIPWAY_EDGE_ROOT") ?? Directory.GetCurrentDirectory());
        var name = Get("Name", "SLIPWAY_EDGE_NAME") ?? "edge";
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            throw new ArgumentException($"--name: '{name}' is not a valid copy name (lowercase letters, digits, '-').");
        var (registryFront, registrySocket) = RegistryFrontOf(Get("RegistryFront", "SLIPWAY_EDGE_REGISTRY_FRONT"), Get("RegistrySocket", "SLIPWAY_EDGE_REGISTRY_SOCKET"), root);
        return new EdgeOptions
        {
            RegistryFront = registryFront,
            RegistrySocket = registrySocket,
            StateDirectory = Path.GetFullPath(Get("StateDir", "SLIPWAY_EDGE_STATE_DIR") ?? Path.Combine(root, ".nuke", "platform", "edge"), root),
            Name = name,
            ReplicaTimeout = Seconds(Get("ReplicaTimeout", "SLIPWAY_EDGE_REPLICA_TIMEOUT"), "--replica-timeout", TimeSpan.FromSeconds(1.5)),
            Drain = Seconds(Get("Drain", "SLIPWAY_EDGE_DRAIN"), "--drain", TimeSpan.FromSeconds(30)),
        };
    }

    static (IPEndPoint?, string?) RegistryFrontOf(string? front, string? socket, string root)
    {
        if (front is null && socket is null) return (null, null);
        if (front is null || socket is null)
            throw new ArgumentException("--registry-front and --registry-socket go together: the address to serve and the registry's unix socket.");
        if (!IPEndPoint.TryParse(front, out var endpoint) || endpoint.Port == 0 || !IPAddress.IsLoopback(endpoint.Address))
            throw new ArgumentException($"--registry-front: '{front}' is not a loopback host:port (e.g. 127.0.0.1:5000).");
        return (endpoint, Path.GetFullPath(socket, root));
    }

    static TimeSpan Seconds(string? text, string option, TimeSpan fallback) =>
        text is null ? fallback
        : double.TryParse(text.TrimEnd('s'), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds)
        : throw new ArgumentException($"{option}: '{text}' is not a number of seconds (e.g. 1.5).");
}
