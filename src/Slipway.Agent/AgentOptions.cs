using System.Globalization;

namespace Slipway.Agent;

/// <summary>
/// The agent's settings, from the command line (<c>--config-repo URL</c>), environment variables
/// (<c>SLIPWAY_AGENT_CONFIG_REPO</c>, ...) or appsettings.json (section <c>Agent</c>), in that order of precedence.
/// </summary>
public sealed record AgentOptions
{
    /// <summary>Repository root the defaults are relative to (--root; default: the current directory).</summary>
    public required string Root { get; init; }
    /// <summary>Config repo URL or path (--config-repo; default &lt;root&gt;/.nuke/platform/config.git).</summary>
    public required string ConfigRepo { get; init; }
    /// <summary>Where the agent keeps its clone and ConfigMap files (--work-dir; default &lt;root&gt;/.nuke/platform/agent).</summary>
    public required string WorkDir { get; init; }
    /// <summary>Branch to follow (--branch; default: the config repo's default branch).</summary>
    public string? Branch { get; init; }
    /// <summary>Environments to manage (--environments staging,production).</summary>
    public IReadOnlyList<string> Environments { get; init; } = ["staging", "production"];
    /// <summary>Pull interval (--interval 5 = seconds, or 00:00:05).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Status API port on 127.0.0.1 (--api-port 8090).</summary>
    public int ApiPort { get; init; } = 8090;
    /// <summary>HMAC secret of POST /hooks/git (--webhook-secret or SLIPWAY_AGENT_WEBHOOK_SECRET); unset: every webhook is rejected.</summary>
    public string? WebhookSecret { get; init; }
    /// <summary>
    /// Bearer token every state-changing route of the API asks for (SLIPWAY_AGENT_OPERATOR_TOKEN; Infrastructure keeps it
    /// in .nuke/platform/agent/operator-token, mode 600), and the dashboard's login; unset: those routes refuse everything and
    /// the dashboard is read-only. Never on a command line.
    /// </summary>
    public string? OperatorToken { get; init; }
    /// <summary>Registries (host:port or host:*) images may come from (--allowed-registries; default the platform's, 127.0.0.1:5000).</summary>
    public IReadOnlyList<string> AllowedRegistries { get; init; } = [DefaultRegistry];
    /// <summary>The most replicas any environment may ask for (--max-replicas 20).</summary>
    public int MaxReplicas { get; init; } = 20;
    /// <summary>The most entries read from an environment's folder in one commit (--max-files 16).</summary>
    public int MaxFiles { get; init; } = 16;
    /// <summary>The largest file read from the config repo, in bytes (--max-file-bytes 262144).</summary>
    public long MaxFileBytes { get; init; } = 256 * 1024;

    const string DefaultRegistry = "127.0.0.1:5000";

    /// <summary>Name of this agent's containers and their slipway.agent label (--instance slipway).</summary>
    public string Instance { get; init; } = "slipway";
    /// <summary>File the agent writes its pid to (--pid-file; default &lt;work-dir&gt;/agent.pid).</summary>
    public string? PidFile { get; init; }
    /// <summary>Time a replica leaving the router keeps serving in-flight requests (--drain 2).</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Token for pushing rollback reverts to a remote config repo (--config-repo-token or SLIPWAY_AGENT_CONFIG_REPO_TOKEN); a secret, never logged.</summary>
    public string? ConfigRepoToken { get; init; }
    /// <summary>Time a new replica may take to pass its readiness probe (--readiness-timeout 120).</summary>
    public TimeSpan ReadinessTimeout { get; init; } = TimeSpan.FromSeconds(120);
    /// <summary>Image automation rules file (--image-automation; see ImageAutomation/ImageAutomationRules.cs); unset: off.</summary>
    public string? ImageAutomation { get; init; }
    /// <summary>How often image automation scans the registry (--image-scan-interval 60).</summary>
    public TimeSpan ImageScanInterval { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Bearer token of POST /hooks/registry (--registry-webhook-token); unset: every registry notification is rejected.</summary>
    public string? RegistryWebhookToken { get; init; }

    /// <summary>The edge's admin socket (--edge-socket; default &lt;root&gt;/.nuke/platform/edge/admin.sock): the Slipway.Edge process serves the environments' ports.</summary>
    public required string EdgeSocket { get; init; }

    /// <summary>Where environments run: containers on this machine's Docker engine, or namespaces of a Kubernetes cluster.</summary>
    public AgentBackend Backend { get; init; } = AgentBackend.Docker;

    /// <summary>Kubernetes backend: the kubeconfig file (else KUBECONFIG, ~/.kube/config, or in-cluster).</summary>
    public string? Kubeconfig { get; init; }

    /// <summary>Kubernetes backend: the kubeconfig context (else its current-context).</summary>
    public string? KubeContext { get; init; }

    /// <summary>Kubernetes backend: use the pod's service account (the agent deployed with deploy/kubernetes/agent-rbac.yaml).</summary>
    public bool InCluster { get; init; }

    public static readonly IReadOnlyDictionary<string, string> SwitchMappings = new Dictionary<string, string>
    {
        ["--root"] = "Agent:Root",
        ["--config-repo"] = "Agent:ConfigRepo",
        ["--work-dir"] = "Agent:WorkDir",
        ["--branch"] = "Agent:Branch",
        ["--environments"] = "Agent:Environments",
        ["--interval"] = "Agent:Interval",
        ["--api-port"] = "Agent:ApiPort",
        ["--webhook-secret"] = "Agent:WebhookSecret",
        ["--instance"] = "Agent:Instance",
        ["--pid-file"] = "Agent:PidFile",
        ["--drain"] = "Agent:Drain",
        ["--readiness-timeout"] = "Agent:ReadinessTimeout",
        ["--backend"] = "Agent:Backend",
        ["--kubeconfig"] = "Agent:Kubeconfig",
        ["--kube-context"] = "Agent:KubeContext",
        ["--in-cluster"] = "Agent:InCluster",
        ["--image-automation"] = "Agent:ImageAutomation",
        ["--image-scan-interval"] = "Agent:ImageScanInterval",
        ["--registry-webhook-token"] = "Agent:RegistryWebhookToken",
        ["--config-repo-token"] = "Agent:ConfigRepoToken",
        ["--edge-socket"] = "Agent:EdgeSocket",
        ["--allowed-registries"] = "Agent:AllowedRegistries",
        ["--max-replicas"] = "Agent:MaxReplicas",
        ["--max-files"] = "Agent:MaxFiles",
        ["--max-file-bytes"] = "Agent:MaxFileBytes",
    };

    /// <summary>Reads the <c>Agent</c> section; a bad value throws naming the option and what it expects.</summary>
    public static AgentOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection("Agent");
        string? Get(string key) =>
            section[key] is { Length: > 0 } value ? value
            : configuration[$"SLIPWAY_AGENT_{string.Concat(key.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : c.ToString())).ToUpperInvariant()}"] is { Length: > 0 } env ? env
            : null;

        var root = Path.GetFullPath(Get("Root") ?? Directory.GetCurrentDirectory());
        var platform = Path.Combine(root, ".nuke", "platform");
        var workDir = Path.GetFullPath(Get("WorkDir") ?? Path.Combine(platform, "agent"), root);
        var configRepo = Get("ConfigRepo") ?? Path.Combine(platform, "config.git");
        if (!configRepo.Contains("://", StringComparison.Ordinal) && !configRepo.Contains('@', StringComparison.Ordinal))
            configRepo = Path.GetFullPath(configRepo, root);
        var environments = (Get("Environments") ?? "staging,production")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (environments.Length == 0) throw new ArgumentException("--environments names no environment; give e.g. 'staging,production'.");
        foreach (var environment in environments)
            if (!environment.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
                throw new ArgumentException($"--environments: '{environment}' is not a valid environment name (lowercase letters, digits, '-').");

        return new AgentOptions
        {
            Root = root,
            ConfigRepo = configRepo,
            WorkDir = workDir,
            Branch = Get("Branch"),
            Environments = environments,
            Interval = Duration(Get("Interval"), "--interval", TimeSpan.FromSeconds(5)),
            ApiPort = Get("ApiPort") is { } port
                ? int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536 ? p
                  : throw new ArgumentException($"--api-port: '{port}' is not a port number.")
                : 8090,
            WebhookSecret = Get("WebhookSecret"),
            OperatorToken = Get("OperatorToken"),
            AllowedRegistries = Get("AllowedRegistries") is { } registries
                ? Slipway.Delivery.Manifests.RegistryPolicy.ParseList(registries)
                : [DefaultRegistry],
            MaxReplicas = (int)Count(Get("MaxReplicas"), "--max-replicas", 20),
            MaxFiles = (int)Count(Get("MaxFiles"), "--max-files", 16),
            MaxFileBytes = Count(Get("MaxFileBytes"), "--max-file-bytes", 256 * 1024),
            Instance = Get("Instance") ?? "slipway",
            PidFile = Get("PidFile") is { } pidFile ? Path.GetFullPath(pidFile, root) : Path.Combine(workDir, "agent.pid"),
            Drain = Duration(Get("Drain"), "--drain", TimeSpan.FromSeconds(2)),
            ReadinessTimeout = Duration(Get("ReadinessTimeout"), "--readiness-timeout", TimeSpan.FromSeconds(120)),
            Backend = Get("Backend") switch
            {
                null or "docker" => AgentBackend.Docker,
                "kubernetes" => AgentBackend.Kubernetes,
                var other => throw new ArgumentException($"--backend: '{other}' is not a backend; use docker (one machine) or kubernetes."),
            },
            Kubeconfig = Get("Kubeconfig") is { } kubeconfig ? Path.GetFullPath(kubeconfig, root) : null,
            KubeContext = Get("KubeContext"),
            InCluster = Get("InCluster") is { } inCluster && (bool.TryParse(inCluster, out var flag)
                ? flag
                : throw new ArgumentException($"--in-cluster: '{inCluster}' is not true or false.")),
            ImageAutomation = Get("ImageAutomation") is { } rules ? Path.GetFullPath(rules, root) : null,
            ImageScanInterval = Duration(Get("ImageScanInterval"), "--image-scan-interval", TimeSpan.FromSeconds(60)),
            RegistryWebhookToken = Get("RegistryWebhookToken"),
            ConfigRepoToken = Get("ConfigRepoToken"),
            EdgeSocket = Path.GetFullPath(Get("EdgeSocket") ?? Path.Combine(platform, "edge", "admin.sock"), root),
        };
    }

    static long Count(string? text, string option, long fallback) =>
        text is null ? fallback
        : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is > 0 and <= int.MaxValue ? value
        : throw new ArgumentException($"{option}: '{text}' is not a positive whole number.");

    static TimeSpan Duration(string? text, string option, TimeSpan fallback)
    {
        if (text is null) return fallback;
        var trimmed = text.TrimEnd('s');
        if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
            return TimeSpan.FromSeconds(seconds);
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero)
            return span;
        throw new ArgumentException($"{option}: '{text}' is not a duration; give seconds (5, 0.5) or hh:mm:ss.");
    }
}

public enum AgentBackend
{
    Docker,
    Kubernetes,
}
