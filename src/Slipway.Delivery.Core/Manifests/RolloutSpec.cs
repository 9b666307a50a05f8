using System.Text.Json;
using System.Text.Json.Serialization;

namespace Slipway.Delivery.Manifests;

/// <summary>
/// How the agent rolls a new revision out beyond the strategy name and the canary steps: the analysis thresholds,
/// the A/B audience, the blue-green preview and keep-warm time, the gate webhooks called before traffic moves, the
/// rollback window, and when an unready replica is replaced.
/// Rendered from deploy/environments/&lt;env&gt;.yaml into the Deployment annotation <see cref="SlipwayMetadata.RolloutAnnotation"/>
/// as compact JSON, so the agent (or any engine) reads it from the config repo alone.
/// </summary>
public sealed record RolloutSpec
{
    public AnalysisSpec Analysis { get; init; } = new();

    /// <summary>ab-testing only: who is sent to the new version, and for how many analysis iterations.</summary>
    public AbTestingSpec? AbTesting { get; init; }

    /// <summary>blue-green only: where the new colour is previewed and how long the old colour stays warm.</summary>
    public BlueGreenSpec? BlueGreen { get; init; }

    /// <summary>Called in order before any traffic moves to the new version; a non-2xx answer (or none in time) halts the rollout.</summary>
    public IReadOnlyList<GateSpec> Gates { get; init; } = [];

    /// <summary>
    /// Rolling and canary: how long the replaced revision's replicas keep running out of traffic after a rollout (Argo
    /// Rollouts' scaleDownDelaySeconds), so a rollback to it within that time switches traffic without starting anything.
    /// 0: they stop at once.
    /// </summary>
    public int RollbackWindowSeconds { get; init; }

    /// <summary>Self-healing: a replica unready for longer than this is replaced (started anew, then the old one removed); 0: never.</summary>
    public int ReplaceUnreadyAfterSeconds { get; init; } = DefaultReplaceUnreadyAfterSeconds;

    public const int DefaultReplaceUnreadyAfterSeconds = 60;

    /// <summary>A day: a longer window keeps a second copy of the environment running for nothing.</summary>
    public const int MaxRollbackWindowSeconds = 86_400;

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
    };

    /// <summary>The annotation value: compact JSON, properties in declaration order (deterministic).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static bool TryParse(string json, out RolloutSpec spec, out string problem)
    {
        spec = new RolloutSpec();
        problem = "";
        try
        {
            spec = JsonSerializer.Deserialize<RolloutSpec>(json, Json) ?? new RolloutSpec();
        }
        catch (JsonException exception)
        {
            problem = $"not valid rollout JSON ({exception.Message}); render it from deploy/environments/<env>.yaml";
            return false;
        }
        var problems = spec.Check();
        problem = string.Join("; ", problems);
        return problems.Count == 0;
    }

    /// <summary>Every value in range; messages name the settings field (deploy/environments/&lt;env&gt;.yaml) to fix.</summary>
    public IReadOnlyList<string> Check()
    {
        var problems = new List<string>();
        Analysis.Check(problems);
        AbTesting?.Check(problems);
        BlueGreen?.Check(problems);
        foreach (var gate in Gates) gate.Check(problems);
        if (RollbackWindowSeconds is < 0 or > MaxRollbackWindowSeconds)
            problems.Add($"rollbackWindowSeconds is {RollbackWindowSeconds}; use 0 (the replaced replicas stop at once) to {MaxRollbackWindowSeconds}");
        if (ReplaceUnreadyAfterSeconds is < 0 or > 3600)
            problems.Add($"replaceUnreadyAfterSeconds is {ReplaceUnreadyAfterSeconds}; use 0 (never) or 10-3600");
        else if (ReplaceUnreadyAfterSeconds is > 0 and < 10)
            problems.Add($"replaceUnreadyAfterSeconds is {ReplaceUnreadyAfterSeconds}; use 10 or more (a replica restarting its dependencies is unready for a few seconds), or 0 for never");
        var duplicate = Gates.GroupBy(gate => gate.Name, StringComparer.Ordinal).FirstOrDefault(group => group.Count() > 1);
        if (duplicate is not null) problems.Add($"strategy.gates: the name '{duplicate.Key}' is used twice; give every gate its own name");
        return problems;
    }
}

/// <summary>
/// The canary analysis (also used for ab-testing iterations): over each window the canary's request error rate and p95
/// latency, from the deltas of its Prometheus /metrics, must stay under the thresholds and within
/// <see cref="MaxP95Ratio"/> of the stable version's p95 over the same window.
/// </summary>
public sealed record AnalysisSpec
{
    /// <summary>Largest share of 5xx answers (0..1) the canary may give in a window.</summary>
    public double MaxErrorRate { get; init; } = 0.01;

    /// <summary>Largest p95 latency in milliseconds the canary may have in a window.</summary>
    public double MaxP95Ms { get; init; } = 500;

    /// <summary>The canary's p95 may be at most this many times the stable version's (stable p95 under 5 ms counts as 5 ms).</summary>
    public double MaxP95Ratio { get; init; } = 2.0;

    /// <summary>Fewer canary requests than this in a window makes the window inconclusive (it is repeated, up to <see cref="MaxInconclusiveWindows"/>).</summary>
    public int MinRequests { get; init; } = 20;

    /// <summary>Inconclusive windows in a row after which the step fails.</summary>
    public int MaxInconclusiveWindows { get; init; } = 3;

    /// <summary>Synthetic requests per second the agent sends through the environment's router while it analyses (0: only real traffic).</summary>
    public int LoadRps { get; init; } = 20;

    /// <summary>The path the synthetic load requests.</summary>
    public string LoadPath { get; init; } = "/api/greeting";

    internal void Check(List<string> problems)
    {
        if (MaxErrorRate is < 0 or > 1) problems.Add($"strategy.analysis.maxErrorRate is {MaxErrorRate}; use a share between 0 and 1 (0.01 = 1%)");
        if (MaxP95Ms <= 0) problems.Add($"strategy.analysis.maxP95Ms is {MaxP95Ms}; use a latency in milliseconds above 0");
        if (MaxP95Ratio < 1) problems.Add($"strategy.analysis.maxP95Ratio is {MaxP95Ratio}; use 1 or more (the canary's p95 against the stable's)");
        if (MinRequests < 1) problems.Add($"strategy.analysis.minRequests is {MinRequests}; use 1 or more");
        if (MaxInconclusiveWindows < 1) problems.Add($"strategy.analysis.maxInconclusiveWindows is {MaxInconclusiveWindows}; use 1 or more");
        if (LoadRps is < 0 or > 1000) problems.Add($"strategy.analysis.loadRps is {LoadRps}; use 0 (off) to 1000");
        if (string.IsNullOrEmpty(LoadPath) || LoadPath[0] != '/') problems.Add($"strategy.analysis.loadPath '{LoadPath}' must start with '/'");
    }
}

/// <summary>Flagger-style A/B: requests whose header (or cookie) equals the value go to the new version.</summary>
public sealed record AbTestingSpec
{
    /// <summary>Header name to match (e.g. X-Beacon-Audience); set this or <see cref="Cookie"/>.</summary>
    public string? Header { get; init; }

    /// <summary>Cookie name to match; set this or <see cref="Header"/>.</summary>
    public string? Cookie { get; init; }

    /// <summary>The value that selects the audience (exact match).</summary>
    public string Value { get; init; } = "";

    /// <summary>Analysis windows the audience is served the new version before it is promoted to everyone.</summary>
    public int Iterations { get; init; } = 5;

    /// <summary>Length of one analysis window in seconds.</summary>
    public int IntervalSeconds { get; init; } = 10;

    internal void Check(List<string> problems)
    {
        if (Header is null == (Cookie is null))
            problems.Add("strategy.abTesting: set exactly one of header or cookie (the name to match)");
        if (string.IsNullOrEmpty(Value)) problems.Add("strategy.abTesting.value is empty; set the header or cookie value that selects the audience");
        if (Iterations < 1) problems.Add($"strategy.abTesting.iterations is {Iterations}; use 1 or more");
        if (IntervalSeconds < 1) problems.Add($"strategy.abTesting.intervalSeconds is {IntervalSeconds}; use 1 or more");
    }
}

public sealed record BlueGreenSpec
{
    /// <summary>127.0.0.1 port where the new colour is served before the switch (for smoke checks and gates).</summary>
    public int PreviewPort { get; init; }

    /// <summary>How long the old colour keeps running (out of the router) after the switch, so a switch-back is instant.</summary>
    public int KeepWarmSeconds { get; init; } = 300;

    internal void Check(List<string> problems)
    {
        if (PreviewPort is < 1 or > 65535) problems.Add($"strategy.blueGreen.previewPort is {PreviewPort}; set a free 127.0.0.1 port, 1-65535 (e.g. 9080)");
        if (KeepWarmSeconds < 0) problems.Add($"strategy.blueGreen.keepWarmSeconds is {KeepWarmSeconds}; use 0 or more");
    }
}

/// <summary>A pre-rollout check (a load test, a migration check...): POSTed a JSON description of the rollout.</summary>
public sealed record GateSpec
{
    public string Name { get; init; } = "";

    public string Url { get; init; } = "";

    public int TimeoutSeconds { get; init; } = 60;

    internal void Check(List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(Name)) problems.Add("strategy.gates: a gate has no name; name it (it appears in the rollout status)");
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            problems.Add($"strategy.gates '{Name}': url '{Url}' is not an absolute http(s) URL");
        if (TimeoutSeconds is < 1 or > 3600) problems.Add($"strategy.gates '{Name}': timeoutSeconds is {TimeoutSeconds}; use 1-3600");
    }
}
