using System.Net.ServerSentEvents;
using System.Text.Json;
using Slipway.Agent.Api;
using Slipway.Agent.Sync;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Git;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Promotion;

namespace Slipway.Agent.Dashboard;

/// <summary>
/// The dashboard on the agent's port: the page at <c>/</c>, its files under <c>/dashboard/</c>, its JSON under
/// <c>/dashboard/api/</c> and the live feed at <c>/dashboard/api/events</c> (server-sent events). Reading needs no login;
/// every action needs a session cookie and its CSRF token (<see cref="OperatorSessions"/>).
/// </summary>
public static class DashboardEndpoints
{
    const string Api = "/dashboard/api";
    static readonly int[] Windows = [7, 30, 90];

    public static void MapDashboard(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (context.Request.Path == "/" || context.Request.Path.StartsWithSegments("/dashboard")) DashboardAssets.AddSecurityHeaders(context.Response);
            await next(context);
        });
        app.MapGet("/", () => DashboardAssets.Serve("index.html"));
        app.MapGet("/dashboard/{file}", (string file) => DashboardAssets.Serve(file));

        app.MapGet($"{Api}/session", (HttpRequest request, OperatorSessions sessions) =>
            Results.Json(SessionView(sessions, sessions.Find(request.Cookies[OperatorSessions.CookieName])), AgentJson.Options));
        app.MapPost($"{Api}/login", async (HttpContext context, OperatorSessions sessions) =>
        {
            if (CrossOrigin(context.Request) is { } refused) return refused;
            if (!sessions.LoginEnabled)
                return Error(StatusCodes.Status403Forbidden, "this agent has no operator token (SLIPWAY_AGENT_OPERATOR_TOKEN): the dashboard is read-only");
            LoginRequest? login;
            try
            {
                login = context.Request.HasJsonContentType() ? await context.Request.ReadFromJsonAsync<LoginRequest>(AgentJson.Options, context.RequestAborted) : null;
            }
            catch (JsonException)
            {
                login = null;
            }
            if (login is null) return Error(StatusCodes.Status400BadRequest, "send JSON {\"token\": \"...\"} with Content-Type: application/json");
            var session = sessions.LogIn(login.Token);
            if (session is null) return Error(StatusCodes.Status401Unauthorized, "wrong operator token (it is in .nuke/platform/agent/operator-token)");
            context.Response.Cookies.Append(OperatorSessions.CookieName, session.Id, OperatorSessions.CookieFor(session));
            return Results.Json(SessionView(sessions, session), AgentJson.Options);
        });
        app.MapPost($"{Api}/logout", (HttpContext context, OperatorSessions sessions) =>
        {
            var (session, refusal) = Authorize(context.Request, sessions);
            if (session is null) return refusal!;
            sessions.LogOut(session.Id);
            context.Response.Cookies.Delete(OperatorSessions.CookieName, new CookieOptions { Path = "/", HttpOnly = true, SameSite = SameSiteMode.Strict });
            return Results.Json(SessionView(sessions, null), AgentJson.Options);
        });

        app.MapGet($"{Api}/environments", (DashboardReader reader, CancellationToken cancellationToken) =>
            ReadAsync(() => reader.EnvironmentsAsync(cancellationToken)));
        app.MapGet($"{Api}/environments/{{environment}}/history", (string environment, DashboardReader reader, CancellationToken cancellationToken) =>
            reader.Manages(environment) ? ReadAsync(() => reader.HistoryAsync(environment, cancellationToken)) : Task.FromResult(UnknownEnvironment(environment)));
        app.MapGet($"{Api}/environments/{{environment}}/flags", async (string environment, DashboardReader reader, CancellationToken cancellationToken) =>
        {
            if (!reader.Manages(environment)) return UnknownEnvironment(environment);
            return await ReadAsync(async () => await reader.FlagsAsync(environment, cancellationToken) ?? []);
        });
        app.MapGet($"{Api}/commits/{{sha}}", async (string sha, DashboardReader reader, CancellationToken cancellationToken) =>
        {
            if (!ConfigRepository.IsCommitId(sha)) return Error(StatusCodes.Status400BadRequest, $"'{AgentJson.Truncate(sha)}' is not a commit id (4 to 64 hex digits)");
            return await ReadAsync(async () => await reader.CommitAsync(sha, cancellationToken) is { } shown
                ? Results.Text(shown, "text/plain; charset=utf-8")
                : Error(StatusCodes.Status404NotFound, $"the config repo has no commit {sha}"));
        });
        app.MapGet($"{Api}/dora", async (string? environment, int? window, DashboardReader reader, CancellationToken cancellationToken) =>
        {
            environment ??= "production";
            var days = window ?? 30;
            if (!reader.Manages(environment)) return UnknownEnvironment(environment);
            if (!Windows.Contains(days)) return Error(StatusCodes.Status400BadRequest, $"window {days} is not 7, 30 or 90 days");
            return await ReadAsync(async () => Results.Text(JsonSerializer.Serialize(await reader.DoraAsync(environment, days, cancellationToken),
                Slipway.Delivery.RunRecords.SlipwayJson.Compact), "application/json"));
        });
        app.MapGet($"{Api}/events", (StatusFeed feed, StatusBoard board, IHostApplicationLifetime lifetime, CancellationToken requestAborted) =>
            TypedResults.ServerSentEvents(LiveStatusAsync(feed, board, lifetime.ApplicationStopping, requestAborted)));

        app.MapPost($"{Api}/environments/{{environment}}/approve", (string environment, HttpRequest request, OperatorSessions sessions,
                DashboardReader reader, DashboardActions actions, CancellationToken cancellationToken) =>
            ActAsync(request, sessions, reader, environment, () => actions.ApproveAsync(environment, cancellationToken)));
        // Bound to the agent, not to the request (as the API's rollback): a closed page must not cancel a commit whose traffic already moved.
        app.MapPost($"{Api}/environments/{{environment}}/rollback", (string environment, HttpRequest request, OperatorSessions sessions,
                DashboardReader reader, DashboardActions actions, IHostApplicationLifetime lifetime) =>
            ActAsync(request, sessions, reader, environment, () => actions.RollBackAsync(environment, lifetime.ApplicationStopping)));
    }

    /// <summary>Every environment's status at once, then each environment again whenever the agent updates it.</summary>
    static async IAsyncEnumerable<SseItem<EnvironmentStatus>> LiveStatusAsync(StatusFeed feed, StatusBoard board, CancellationToken stopping,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken requestAborted)
    {
        // The agent stopping ends the stream too: an open page must not hold the shutdown up.
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(stopping, requestAborted);
        using var subscription = feed.Subscribe();
        foreach (var status in board.Snapshot().Environments) yield return new SseItem<EnvironmentStatus>(status, "status");
        var changes = subscription.ReadAllAsync(ended.Token).GetAsyncEnumerator(ended.Token);
        try
        {
            while (true)
            {
                try
                {
                    if (!await changes.MoveNextAsync()) yield break;
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
                yield return new SseItem<EnvironmentStatus>(board.Get(changes.Current), "status");
            }
        }
        finally
        {
            await changes.DisposeAsync();
        }
    }

    static async Task<IResult> ActAsync(HttpRequest request, OperatorSessions sessions, DashboardReader reader, string environment, Func<Task<ActionResult>> act)
    {
        var (session, refusal) = Authorize(request, sessions);
        if (session is null) return refusal!;
        if (!reader.Manages(environment)) return UnknownEnvironment(environment);
        try
        {
            return Results.Json(await act(), AgentJson.Options);
        }
        catch (Exception exception) when (exception is RollbackRefusedException or PromotionRefusedException or InvalidOperationException or ManifestException)
        {
            return Error(StatusCodes.Status409Conflict, exception.Message);
        }
        catch (GitException exception)
        {
            return Error(StatusCodes.Status502BadGateway, $"the config repo refused the commit: {exception.Message}");
        }
    }

    static (OperatorSession? Session, IResult? Refusal) Authorize(HttpRequest request, OperatorSessions sessions) =>
        CrossOrigin(request) is { } refused ? (null, refused) : sessions.Authorize(request);

    /// <summary>A state-changing request from another origin (its Origin header names another host) is refused outright.</summary>
    static IResult? CrossOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0) return null;
        return Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)
            ? null
            : Error(StatusCodes.Status403Forbidden, "cross-origin request refused: use the dashboard on the agent's own address");
    }

    static async Task<IResult> ReadAsync<T>(Func<Task<T>> read)
    {
        try
        {
            var value = await read();
            return value as IResult ?? Results.Json(value, AgentJson.Options);
        }
        catch (Exception exception) when (exception is GitException or ManifestException or IOException)
        {
            return Error(StatusCodes.Status502BadGateway, $"the config repo could not be read: {exception.Message}");
        }
    }

    static object SessionView(OperatorSessions sessions, OperatorSession? session) =>
        new { loginEnabled = sessions.LoginEnabled, loggedIn = session is not null, csrfToken = session?.CsrfToken, expiresAt = session?.ExpiresAt };

    static IResult UnknownEnvironment(string environment) => AgentJson.UnknownEnvironment(environment);

    static IResult Error(int status, string message) => AgentJson.Error(status, message);

    sealed record LoginRequest(string? Token);
}
