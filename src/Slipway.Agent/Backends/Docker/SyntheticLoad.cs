using Slipway.Agent.Routing;

namespace Slipway.Agent.Backends.Docker;

/// <summary>
/// Requests the agent sends through an environment's router while it analyses a canary, so every window has enough
/// requests to judge even without real traffic. For an A/B test every other request carries the audience's header or
/// cookie, so both versions are measured.
/// </summary>
public sealed class SyntheticLoad(HttpClient http)
{
    public sealed record Outcome(int Sent, int Failed);

    public async Task<Outcome> RunAsync(Uri url, int requestsPerSecond, AudienceMatch? audience, TimeSpan duration, CancellationToken cancellationToken)
    {
        if (requestsPerSecond <= 0)
        {
            await Task.Delay(duration, cancellationToken);
            return new Outcome(0, 0);
        }
        var tick = TimeSpan.FromMilliseconds(50);
        var perTick = requestsPerSecond * tick.TotalSeconds;
        var inFlight = new List<Task<bool>>();
        var owed = 0.0;
        var sent = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var timer = new PeriodicTimer(tick);
        while (clock.Elapsed < duration && await timer.WaitForNextTickAsync(cancellationToken))
        {
            owed += perTick;
            for (; owed >= 1; owed--)
                inFlight.Add(SendAsync(url, audience is not null && sent++ % 2 == 0 ? audience : null, cancellationToken));
        }
        var results = await Task.WhenAll(inFlight);
        return new Outcome(results.Length, results.Count(ok => !ok));
    }

    async Task<bool> SendAsync(Uri url, AudienceMatch? audience, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (audience?.Header is { } header) request.Headers.TryAddWithoutValidation(header, audience.Value);
        if (audience?.Cookie is { } cookie) request.Headers.TryAddWithoutValidation("Cookie", $"{cookie}={audience.Value}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return (int)response.StatusCode < 500;
        }
        catch (Exception exception) when (exception is HttpRequestException || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }
}
