using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Polly;
using Polly.Retry;
using Slipway.Edge.Contract;

namespace Slipway.Agent.Routing;

/// <summary>
/// The agent's side of the edge: every route change goes to the Slipway.Edge process through its admin socket, so
/// traffic never passes through the agent and an agent restart never touches it. Reads answer from the table the
/// edge last confirmed, loaded from the edge when the agent starts (<see cref="LoadAsync"/>) and never cleared.
/// An edge that is down or handing over to a new copy is waited for.
/// </summary>
public sealed class EdgeClient : ITrafficRouter, IDisposable
{
    readonly HttpClient http;
    readonly ILogger logger;
    readonly ResiliencePipeline<HttpResponseMessage> retry;
    readonly ConcurrentDictionary<string, EdgeRoute> routes = new(StringComparer.Ordinal);

    public EdgeClient(string adminSocket, ILogger logger, TimeSpan? patience = null)
    {
        AdminSocket = adminSocket;
        this.logger = logger;
        http = EdgeAdminApi.CreateClient(adminSocket, TimeSpan.FromSeconds(60));
        var waited = patience ?? TimeSpan.FromSeconds(60);
        retry = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<System.Net.Sockets.SocketException>()
                    .HandleResult(response => response.StatusCode == HttpStatusCode.ServiceUnavailable),
                MaxRetryAttempts = (int)(waited / TimeSpan.FromMilliseconds(250)),
                Delay = TimeSpan.FromMilliseconds(250),
                BackoffType = DelayBackoffType.Constant,
                OnRetry = attempt =>
                {
                    if (attempt.AttemptNumber == 0)
                        logger.Warning("The edge does not answer on {Socket} ({Reason}); waiting for it", adminSocket,
                            attempt.Outcome.Exception?.Message ?? $"{(int)attempt.Outcome.Result!.StatusCode}");
                    attempt.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    public string AdminSocket { get; }

    /// <summary>Reads the edge's table (waiting for the edge to come up): the routes it serves are the starting point, never cleared.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, EdgeAdminApi.Routes), cancellationToken);
        var table = await response.Content.ReadFromJsonAsync<EdgeRouteTable>(cancellationToken)
                    ?? throw new InvalidOperationException($"The edge on {AdminSocket} answered an empty route table.");
        routes.Clear();
        foreach (var route in table.Routes) routes[route.Environment] = route;
        logger.Information("Edge on {Socket} serves {Count} route(s): {Environments}", AdminSocket, table.Routes.Count,
            string.Join(", ", table.Routes.Select(r => $"{r.Environment}:{r.Port}")));
    }

    public Task SetAsync(string environment, int port, string healthPath, IReadOnlyCollection<RouteDestination> destinations, CancellationToken cancellationToken) =>
        SetSplitAsync(environment, port, healthPath, TrafficSplit.StableOnly(destinations), cancellationToken);

    public async Task SetSplitAsync(string environment, int port, string healthPath, TrafficSplit split, CancellationToken cancellationToken)
    {
        if (split.CanaryWeight is < 0 or > 100) throw new ArgumentOutOfRangeException(nameof(split), split.CanaryWeight, "A canary weight is a percentage, 0-100.");
        // What the edge keeps private and which hosts it accepts stay as the edge has them (set by an operator), else the defaults.
        routes.TryGetValue(environment, out var current);
        var route = new EdgeRoute(environment, port, healthPath, Destinations(split.Stable), Destinations(split.Canary), split.CanaryWeight,
            split.Audience is { } audience ? new EdgeAudience(audience.Header, audience.Cookie, audience.Value) : null,
            current?.DeniedPaths ?? EdgeRoute.DefaultDeniedPaths, current?.AllowedHosts ?? EdgeRoute.DefaultAllowedHosts);
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Put, EdgeAdminApi.Route(environment)) { Content = JsonContent.Create(route) },
            cancellationToken);
        routes[environment] = route;
    }

    public IReadOnlyCollection<RouteDestination> Destinations(string environment) =>
        routes.TryGetValue(environment, out var route) ? route.Stable.Concat(route.Canary).DistinctBy(d => d.Id).Select(Destination).ToList() : [];

    public TrafficSplit? Split(string environment) =>
        routes.TryGetValue(environment, out var route)
            ? new TrafficSplit(route.Stable.Select(Destination).ToList(), route.Canary.Select(Destination).ToList(), route.CanaryWeight,
                route.Audience is { } audience ? new AudienceMatch(audience.Header, audience.Cookie, audience.Value) : null)
            : null;

    public int? Port(string environment) => routes.TryGetValue(environment, out var route) ? route.Port : null;

    public async Task RemoveAsync(string environment)
    {
        if (!routes.ContainsKey(environment)) return;
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, EdgeAdminApi.Route(environment)), CancellationToken.None,
            HttpStatusCode.NotFound);
        routes.TryRemove(environment, out _);
    }

    /// <summary>Sends one admin call, waiting out an edge that is down or handing over; a refusal throws with the edge's reason.</summary>
    async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> request, CancellationToken cancellationToken, HttpStatusCode? alsoFine = null)
    {
        var response = await retry.ExecuteAsync(async token =>
        {
            using var message = request();
            return await http.SendAsync(message, token);
        }, cancellationToken);
        if (response.IsSuccessStatusCode || response.StatusCode == alsoFine) return response;
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new InvalidOperationException($"The edge on {AdminSocket} refused the change ({(int)response.StatusCode}): {Detail(body)}");
        }
    }

    static string Detail(string problem)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(problem);
            return document.RootElement.TryGetProperty("detail", out var detail) ? detail.GetString() ?? problem : problem;
        }
        catch (System.Text.Json.JsonException)
        {
            return problem;
        }
    }

    static IReadOnlyList<EdgeDestination> Destinations(IEnumerable<RouteDestination> destinations) =>
        destinations.Select(d => new EdgeDestination(d.Id, d.Address.ToString())).ToList();

    static RouteDestination Destination(EdgeDestination destination) => new(destination.Id, new Uri(destination.Address));

    public void Dispose() => http.Dispose();
}
