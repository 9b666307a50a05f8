using System.Collections.Immutable;
using Slipway.Delivery.AgentApi;

namespace Slipway.Agent.Sync;

/// <summary>The latest status of every environment, swapped atomically so /status never sees a half-update.</summary>
public sealed class StatusBoard(IEnumerable<string> environments)
{
    ImmutableDictionary<string, EnvironmentStatus> environmentStatus = environments.ToImmutableDictionary(
        e => e, e => new EnvironmentStatus(e, null, null, null, 0, 0, EnvironmentHealth.Progressing, null, null, null, null, null));
    RepoState repo = new(null, null, null);

    public AgentStatus Snapshot()
    {
        var current = repo;
        return new AgentStatus(current.Head, current.LastFetch, current.FetchError, environmentStatus.Values.OrderBy(e => e.Name, StringComparer.Ordinal).ToList());
    }

    public EnvironmentStatus Get(string environment) => environmentStatus[environment];

    /// <summary>The config repo's head as last fetched; null before the first fetch.</summary>
    public string? Head => repo.Head;

    /// <summary>
    /// Raised after every update with the environment's name (the dashboard's live feed listens here); listeners read
    /// <see cref="Get"/> for the latest status, so concurrent updates never leave them on an older one.
    /// </summary>
    public event Action<string>? Changed;

    public void Update(string environment, Func<EnvironmentStatus, EnvironmentStatus> change)
    {
        ImmutableInterlocked.Update(ref environmentStatus, all => all.SetItem(environment, change(all[environment])));
        Changed?.Invoke(environment);
    }

    public void Fetched(string? head, DateTimeOffset when) => repo = new RepoState(head, when, null);

    public void FetchFailed(string error) => repo = repo with { FetchError = error };

    sealed record RepoState(string? Head, DateTimeOffset? LastFetch, string? FetchError);
}
