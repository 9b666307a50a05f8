using System.Text.Json;

namespace Slipway.Agent.ImageAutomation;

/// <summary>
/// CNCF distribution's notification envelope (https://distribution.github.io/distribution/about/notifications/):
/// <c>{"events":[{"action":"push","target":{"repository":"beacon","digest":"sha256:…","tag":"1.2.0",…},…}]}</c>.
/// Only push events matter to image automation; pulls and deletes are ignored.
/// </summary>
public static class RegistryNotification
{
    public const string MediaType = "application/vnd.docker.distribution.events.v1+json";

    /// <summary>The repositories (paths such as "beacon") that had something pushed; throws <see cref="JsonException"/> on a body that is no envelope.</summary>
    public static IReadOnlySet<string> PushedRepositories(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        using var document = JsonDocument.ParseValue(ref reader);
        if (document.RootElement.ValueKind != JsonValueKind.Object ||
            !document.RootElement.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Array)
            throw new JsonException("the body has no 'events' array; send distribution's notification envelope {\"events\":[...]}");
        var repositories = new HashSet<string>(StringComparer.Ordinal);
        foreach (var notification in events.EnumerateArray())
        {
            if (notification.ValueKind != JsonValueKind.Object) continue;
            if (!notification.TryGetProperty("action", out var action) || action.ValueKind != JsonValueKind.String || action.GetString() != "push") continue;
            if (notification.TryGetProperty("target", out var target) && target.ValueKind == JsonValueKind.Object &&
                target.TryGetProperty("repository", out var repository) && repository.ValueKind == JsonValueKind.String &&
                repository.GetString() is { Length: > 0 } name)
                repositories.Add(name);
        }
        return repositories;
    }
}
