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
        ["--config-repo-token"] = "Agent:ConfigRepoToken",
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
            Instance = Get("Instance") ?? "slipway",
            PidFile = Get("PidFile") is { } pidFile ? Path.GetFullPath(pidFile, root) : Path.Combine(workDir, "agent.pid"),
            Drain = Duration(Get("Drain"), "--drain", TimeSpan.FromSeconds(2)),
            ReadinessTimeout = Duration(Get("ReadinessTimeout"), "--readiness-timeout", TimeSpan.FromSeconds(120)),
            ConfigRepoToken = Get("ConfigRepoToken"),
        };
    }

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
