using System.Net.Http.Json;
using Slipway.Agent.Sync;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Metrics;
using Slipway.Delivery.Oci;
using Slipway.Delivery.Promotion;

namespace Slipway.Agent.Dashboard;

/// <summary>One environment on the dashboard: the agent's status plus what the config repo says about it.</summary>
/// <param name="Url">Where the environment answers (its stable port on 127.0.0.1); null before its first apply.</param>
/// <param name="Version">What the running service reports on /version; null when it does not answer.</param>
/// <param name="LastChange">The config repo's newest commit of the environment, with its trailers.</param>
/// <param name="Promotion">The promotion into this environment, when deploy/ gives it a policy.</param>
public sealed record EnvironmentView(string Name, string? Url, string? Version, EnvironmentStatus Status, HistoryEntry? LastChange, PromotionView? Promotion);

/// <summary>A promotion into an environment: what its source runs and whether that is approved (or already there).</summary>
/// <param name="Waiting">The source runs a digest the target does not, and a manual policy has no approval for it yet.</param>
public sealed record PromotionView(string From, string Approval, string? CandidateImage, bool Approved, bool AlreadyThere, bool Waiting);

/// <summary>A commit of an environment's history: its kind (deploy, promotion, rollback, flag) and all its trailers.</summary>
public sealed record HistoryEntry(string Sha, string Subject, DateTimeOffset Time, string Kind, IReadOnlyDictionary<string, string> Trailers);

/// <summary>A feature flag of an environment with its value in the config repo.</summary>
public sealed record FlagView(string Flag, string Value);

/// <summary>
/// The dashboard's read side: the status board for what runs, the config repo (through its own clone, as the CLI reads it)
/// for history, diffs, flags and approvals, and <see cref="DoraMetrics"/> for delivery performance — the Metrics target's computation.
/// </summary>
public sealed class DashboardReader(AgentOptions options, StatusBoard board, ConfigRepository repository, HttpClient http, Serilog.ILogger log)
{
    public const int HistoryLimit = 50;

    /// <summary>deploy/ of the checkout the agent runs from (--root): promotion policies, as Promote and Approve read them.</summary>
    public string DeployDirectory => Path.Combine(options.Root, "deploy");

    public bool Manages(string environment) => options.Environments.Contains(environment, StringComparer.Ordinal);

    public async Task<IReadOnlyList<EnvironmentView>> EnvironmentsAsync(CancellationToken cancellationToken)
    {
        var history = await repository.HistoryAsync(cancellationToken: cancellationToken);
        var views = new List<EnvironmentView>();
        foreach (var status in board.Snapshot().Environments)
        {
            var last = history.FirstOrDefault(commit => commit.Trailers.GetValueOrDefault(DeploymentTrailers.EnvironmentKey) == status.Name);
            var url = status.Port is { } port ? $"http://127.0.0.1:{port}/" : null;
            views.Add(new EnvironmentView(status.Name, url, url is null ? null : await VersionAsync(url, cancellationToken), status,
                last is null ? null : Entry(last, IsPromotedInto(status.Name)), await PromotionAsync(status.Name, cancellationToken)));
        }
        return views;
    }

    public async Task<IReadOnlyList<HistoryEntry>> HistoryAsync(string environment, CancellationToken cancellationToken) =>
        (await repository.HistoryAsync(environment, cancellationToken)).Take(HistoryLimit).Select(c => Entry(c, IsPromotedInto(environment))).ToList();

    /// <summary>The commit's message, trailers and patch; null when the config repo has no such commit.</summary>
    public Task<string?> CommitAsync(string sha, CancellationToken cancellationToken) => repository.ShowCommitAsync(sha, cancellationToken);

    public async Task<IReadOnlyList<FlagView>?> FlagsAsync(string environment, CancellationToken cancellationToken)
    {
        var manifests = await repository.ReadEnvironmentAsync(environment, cancellationToken: cancellationToken);
        return manifests is null ? null : FlagChange.CurrentValues(manifests.ConfigMap).Select(f => new FlagView(f.Flag, f.Value)).ToList();
    }

    /// <summary>The DORA report of <paramref name="environment"/>, computed as ./build.sh Metrics computes it (config repo history, run records, the source clone).</summary>
    public Task<DoraReport> DoraAsync(string environment, int windowDays, CancellationToken cancellationToken)
    {
        var source = Directory.Exists(Path.Combine(options.Root, ".git")) || File.Exists(Path.Combine(options.Root, ".git")) ? options.Root : null;
        var request = new DoraRequest(environment, windowDays, source, Path.Combine(options.WorkDir, "dashboard"));
        return new DoraMetrics(repository, log).ComputeAsync(request, cancellationToken);
    }

    /// <summary>The environment's promotion policy in deploy/; null when it has none (it is deployed to directly).</summary>
    EnvironmentSettings.PromotionSettings? PolicyOf(string environment)
    {
        var settingsFile = Path.Combine(DeployDirectory, ManifestRenderer.EnvironmentsFolder, environment + ".yaml");
        return File.Exists(settingsFile) ? EnvironmentSettings.Load(settingsFile).Promotion : null;
    }

    bool IsPromotedInto(string environment) => PolicyOf(environment) is not null;

    async Task<PromotionView?> PromotionAsync(string environment, CancellationToken cancellationToken)
    {
        if (PolicyOf(environment) is not { } policy) return null;
        var candidate = await repository.CurrentImageAsync(policy.From, cancellationToken);
        var current = await repository.CurrentImageAsync(environment, cancellationToken);
        var alreadyThere = candidate is not null && current is not null && ImageDigest.Of(candidate) == ImageDigest.Of(current);
        var approved = candidate is not null && await new ApprovalStore(repository, log).FindAsync(environment, candidate, cancellationToken) is not null;
        return new PromotionView(policy.From, policy.Approval, candidate, approved, alreadyThere,
            Waiting: candidate is not null && !alreadyThere && !approved && policy.Approval == "manual");
    }

    async Task<string?> VersionAsync(string url, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            var answer = await http.GetFromJsonAsync<VersionAnswer>(new Uri(new Uri(url), "version"), timeout.Token);
            return answer?.Version;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
        {
            return null;   // not serving (yet): the card shows the version as unknown
        }
    }

    static HistoryEntry Entry(ConfigCommit commit, bool promotedInto) =>
        new(commit.Sha, commit.Subject, commit.CommitTime, KindOf(commit, promotedInto), commit.Trailers);

    /// <summary>What a commit did, from its trailers (the same ones DORA reads); a deploy into an environment with a promotion policy is a promotion.</summary>
    static string KindOf(ConfigCommit commit, bool promotedInto) =>
        commit.Trailers.ContainsKey(DeploymentTrailers.RollbackOfKey) ? "rollback"
        : commit.Trailers.ContainsKey(FlagCommitter.FlagTrailerKey) ? "flag"
        : commit.Trailers.ContainsKey(DeploymentTrailers.EnvironmentKey) ? (promotedInto ? "promotion" : "deploy")
        : "other";

    sealed record VersionAnswer(string? Version);
}
