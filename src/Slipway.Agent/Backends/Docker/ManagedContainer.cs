using System.Globalization;
using Docker.DotNet.Models;
using Slipway.Delivery.AgentApi;

namespace Slipway.Agent.Backends.Docker;

/// <summary>A replica container as Docker reports it; everything the agent knows about it comes from its labels.</summary>
public sealed record ManagedContainer(
    string Id,
    string Name,
    string App,
    string TemplateHash,
    int Replica,
    string Revision,
    string State,
    DateTime Created,
    IReadOnlyDictionary<int, int> HostPorts,
    string Image = "",
    string Track = "")
{
    /// <summary>Running, or paused (<c>docker pause</c>): a paused replica is still there, but its probes time out, so
    /// <see cref="ReplicaHealing"/> replaces it the safe way round instead of removing it as dead.</summary>
    public bool IsRunning => State is "running" or "paused";

    /// <summary>Blue-green: the colour label (<see cref="BlueGreenRollout.ColourLabel"/>); empty for other strategies.</summary>
    public string Colour { get; init; } = "";

    /// <summary>A canary replica (the new template beside the stable ones while a canary or A/B test runs).</summary>
    public bool IsCanary => Track == ReplicaTrack.CanaryName;

    public static ManagedContainer From(ContainerListResponse response) =>
        FromLabels(
            response.ID,
            response.Names?.FirstOrDefault()?.TrimStart('/') ?? response.ID,
            new Dictionary<string, string>(response.Labels ?? new Dictionary<string, string>()),
            response.State ?? "",
            response.Created.ToUniversalTime(),
            (response.Ports ?? []).Where(p => p.PublicPort is > 0 && p.IP is "127.0.0.1")
                .GroupBy(p => (int)p.PrivatePort).ToDictionary(g => g.Key, g => (int)g.First().PublicPort!.Value));

    /// <summary>A container from what any engine reports: its labels say everything the agent knows about it.</summary>
    public static ManagedContainer FromLabels(string id, string name, IReadOnlyDictionary<string, string> labels, string state, DateTime created,
        IReadOnlyDictionary<int, int> hostPorts) =>
        new(
            id,
            name,
            labels.GetValueOrDefault(AgentLabels.App, ""),
            labels.GetValueOrDefault(AgentLabels.TemplateHash, ""),
            int.TryParse(labels.GetValueOrDefault(AgentLabels.Replica), NumberStyles.None, CultureInfo.InvariantCulture, out var replica) ? replica : -1,
            labels.GetValueOrDefault(AgentLabels.Revision, ""),
            state,
            created,
            hostPorts,
            labels.GetValueOrDefault(AgentLabels.Image, ""),
            labels.GetValueOrDefault(ReplicaTrack.Label, ""))
        {
            Colour = labels.GetValueOrDefault(BlueGreenRollout.ColourLabel, ""),
        };

    public Uri? Address(int containerPort) =>
        HostPorts.TryGetValue(containerPort, out var hostPort) ? new Uri($"http://127.0.0.1:{hostPort}") : null;
}
