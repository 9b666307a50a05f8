using Slipway.Agent.Routing;

namespace Slipway.Agent.Backends.Docker;

/// <summary>
/// Requests the agent sends through an environment's router while it analyses a canary, so every window has enough
/// requests to judge even without real traffic. For an A/B test every other request carries the audience's header or
/// cookie, so both versions are measured.
/// </summary>
public sealed class SyntheticLoad(IReplicaHttp http, TimeProvider time)
{
    public sealed record Outcome(int Sent, int Failed);

    static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);

    /// <summary>Sends <paramref name="requestsPerSecond"/> until <paramref name="stop"/> (the window ended, perhaps early) and returns what was sent.</summary>
    public async Task<Outcome> RunAsync(Uri url, int requestsPerSecond, AudienceMatch? audience, CancellationToken stop, CancellationToken cancellationToken)
    {
        if (requestsPerSecond <= 0) return new Outcome(0, 0);
        var inFlight = new List<Task<bool>>();
        var started = time.GetTimestamp();
        using var both = CancellationTokenSource.CreateLinkedTokenSource(stop, cancellationToken);
        while (true)
        {
            try
            {
                await Task.Delay(Tick, time, both.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break; // Stopped: the window is over.
            }
            // Owed by the elapsed time, not by ticks counted, so late ticks do not lower the rate.
            var owed = (int)(requestsPerSecond * time.GetElapsedTime(started).TotalSeconds);
            while (inFlight.Count < owed)
                inFlight.Add(SendAsync(url, audience is not null && inFlight.Count % 2 == 0 ? audience : null, cancellationToken));
        }
        var results = await Task.WhenAll(inFlight);
        return new Outcome(results.Length, results.Count(ok => !ok));
    }

    async Task<bool> SendAsync(Uri url, AudienceMatch? audience, CancellationToken cancellationToken)
    {
        KeyValuePair<string, string>? header = audience switch
        {
            { Header: { } name } => new(name, audience.Value),
            { Cookie: { } cookie } => new("Cookie", $"{cookie}={audience.Value}"),
            _ => null,
        };
        var answer = await http.GetAsync(url, TimeSpan.FromSeconds(10), header, cancellationToken);
        return answer.StatusCode is < 500;
    }
}
