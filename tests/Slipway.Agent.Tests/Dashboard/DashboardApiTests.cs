using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Slipway.Agent.Dashboard;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Promotion;

namespace Slipway.Agent.Tests.Dashboard;

/// <summary>
/// The dashboard's API in-process (fast tier): the page and its headers, login and session cookie, CSRF on every action,
/// and actions landing as the CLI's commits.
/// </summary>
public sealed class DashboardApiTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    static Task<(string Cookie, string Csrf)> LogInAsync(HttpClient http) => DashboardRequests.LogInAsync(http);

    static Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string cookie, string? csrf, string? origin = null) =>
        DashboardRequests.SendAsync(http, method, path, cookie, csrf, origin);

    static StringContent Json(string body) => DashboardRequests.Json(body);

    static Task<JsonElement> EnvironmentAsync(HttpClient http, string name) => DashboardRequests.EnvironmentAsync(http, name);

    [Fact]
    public async Task The_page_and_its_files_come_from_the_agent_with_a_strict_content_security_policy()
    {
        await using var host = await DashboardTestHost.StartAsync();
        using var http = host.Client();

        using var page = await http.GetAsync("/", Cancel);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync(Cancel);
        Assert.Contains("<label for=\"operator-token\">Operator token</label>", html);
        Assert.DoesNotContain("https://", html);   // offline: nothing from a CDN
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());

        using var script = await http.GetAsync("/dashboard/dashboard.js", Cancel);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Contains("EventSource", await script.Content.ReadAsStringAsync(Cancel));
        using var unknown = await http.GetAsync("/dashboard/appsettings.json", Cancel);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task An_action_without_a_session_is_refused_and_commits_nothing()
    {
        await using var host = await DashboardTestHost.StartAsync();
        await host.DeployAsync("staging", DashboardTestHost.ImageA);
        var head = await host.DeployAsync("staging", DashboardTestHost.ImageB);
        using var http = host.Client();

        using var anonymous = await http.PostAsync("/dashboard/api/environments/staging/rollback", Json("{}"), Cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("log in first", await anonymous.Content.ReadAsStringAsync(Cancel));

        var (cookie, csrf) = await LogInAsync(http);
        using var noCsrf = await SendAsync(http, HttpMethod.Post, "/dashboard/api/environments/staging/rollback", cookie, csrf: null);
        Assert.Equal(HttpStatusCode.Forbidden, noCsrf.StatusCode);
        using var wrongCsrf = await SendAsync(http, HttpMethod.Post, "/dashboard/api/environments/staging/rollback", cookie, csrf: csrf + "x");
        Assert.Equal(HttpStatusCode.Forbidden, wrongCsrf.StatusCode);
        using var otherSite = await SendAsync(http, HttpMethod.Post, "/dashboard/api/environments/staging/rollback", cookie, csrf,
            origin: "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, otherSite.StatusCode);
        using var forgedCookie = await SendAsync(http, HttpMethod.Post, "/dashboard/api/environments/staging/rollback", "not-a-session", csrf);
        Assert.Equal(HttpStatusCode.Unauthorized, forgedCookie.StatusCode);

        Assert.Equal(head, (await host.Writer.HistoryAsync("staging", Cancel))[0].Sha);
    }

    [Fact]
    public async Task Login_takes_only_the_operator_token_and_sets_an_http_only_same_site_strict_cookie()
    {
        await using var host = await DashboardTestHost.StartAsync();
        using var http = host.Client();

        using var wrong = await http.PostAsync("/dashboard/api/login", Json("""{"token":"guess"}"""), Cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.False(wrong.Headers.Contains("Set-Cookie"));
        using var form = await http.PostAsync("/dashboard/api/login",
            new FormUrlEncodedContent([new("token", DashboardTestHost.OperatorToken)]), Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, form.StatusCode);   // a cross-site form cannot log in

        using var right = await http.PostAsync("/dashboard/api/login", Json($$"""{"token":"{{DashboardTestHost.OperatorToken}}"}"""), Cancel);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        var setCookie = right.Headers.GetValues("Set-Cookie").Single();
        Assert.StartsWith(OperatorSessions.CookieName + "=", setCookie);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        var session = await right.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.True(session.GetProperty("loggedIn").GetBoolean());
        Assert.False(string.IsNullOrEmpty(session.GetProperty("csrfToken").GetString()));

        var cookie = setCookie.Split(';')[0][(OperatorSessions.CookieName.Length + 1)..];
        using var logout = await SendAsync(http, HttpMethod.Post, "/dashboard/api/logout", cookie, session.GetProperty("csrfToken").GetString());
        Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        using var after = await SendAsync(http, HttpMethod.Get, "/dashboard/api/session", cookie, csrf: null);
        Assert.False((await after.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("loggedIn").GetBoolean());
    }

    [Fact]
    public async Task Without_an_operator_token_nobody_logs_in_and_the_dashboard_stays_read_only()
    {
        await using var host = await DashboardTestHost.StartAsync(operatorToken: null);
        using var http = host.Client();

        using var login = await http.PostAsync("/dashboard/api/login", Json("""{"token":""}"""), Cancel);
        Assert.Equal(HttpStatusCode.Forbidden, login.StatusCode);
        var session = await http.GetFromJsonAsync<JsonElement>("/dashboard/api/session", Cancel);
        Assert.False(session.GetProperty("loginEnabled").GetBoolean());
    }

    [Fact]
    public void A_session_expires_after_its_lifetime()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var sessions = new OperatorSessions(new AgentOptions { Root = "/", ConfigRepo = "/c", WorkDir = "/w", EdgeSocket = "/w/edge.sock", OperatorToken = "token" }, clock);

        Assert.Null(sessions.LogIn("Token"));
        var session = sessions.LogIn("token");
        Assert.NotNull(session);
        Assert.NotEqual(session.Id, session.CsrfToken);
        clock.Advance(OperatorSessions.Lifetime - TimeSpan.FromMinutes(1));
        Assert.Equal(session, sessions.Find(session.Id));
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(sessions.Find(session.Id));
    }

    [Fact]
    public async Task A_rollback_with_a_session_is_the_same_revert_commit_as_the_cli_makes()
    {
        await using var host = await DashboardTestHost.StartAsync();
        await host.DeployAsync("staging", DashboardTestHost.ImageA);
        var bad = await host.DeployAsync("staging", DashboardTestHost.ImageB);
        using var http = host.Client();
        var (cookie, csrf) = await LogInAsync(http);

        using var response = await SendAsync(http, HttpMethod.Post, "/dashboard/api/environments/staging/rollback", cookie, csrf);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);

        var history = await host.Writer.HistoryAsync("staging", Cancel);
        var rollback = history[0];
        Assert.Equal(result.GetProperty("commit").GetString(), rollback.Sha);
        Assert.Equal($"Roll back staging: revert {bad[..12]}", rollback.Subject);
        Assert.Equal(bad, rollback.Deployment!.RollbackOf);
        Assert.Equal(DashboardTestHost.ImageA, rollback.Deployment.Image);
        Assert.StartsWith("dashboard-", rollback.Deployment.Run);
        Assert.Equal(DashboardTestHost.ImageA, await host.Writer.CurrentImageAsync("staging", Cancel));

        // Nothing left to revert: refused with the CLI's reason, nothing committed.
        using var again = await SendAsync(http, HttpMethod.Post, "/dashboard/api/environments/staging/rollback", cookie, csrf);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("first deploy", await again.Content.ReadAsStringAsync(Cancel));
    }

    [Fact]
    public async Task A_waiting_promotion_is_shown_and_approving_it_commits_the_approval_a_waiting_promote_reads()
    {
        await using var host = await DashboardTestHost.StartAsync();
        var production = await host.DeployAsync("production", DashboardTestHost.ImageA);
        await host.DeployAsync("staging", DashboardTestHost.ImageB);
        host.Applied("production", production, DashboardTestHost.ImageA);
        using var http = host.Client();

        var before = await EnvironmentAsync(http, "production");
        Assert.Equal(DashboardTestHost.ImageA.Split('@')[1], before.GetProperty("status").GetProperty("imageDigest").GetString());
        var promotion = before.GetProperty("promotion");
        Assert.Equal("manual", promotion.GetProperty("approval").GetString());
        Assert.Equal(DashboardTestHost.ImageB, promotion.GetProperty("candidateImage").GetString());
        Assert.True(promotion.GetProperty("waiting").GetBoolean());

        var (cookie, csrf) = await LogInAsync(http);
        using var response = await SendAsync(http, HttpMethod.Post, "/dashboard/api/environments/production/approve", cookie, csrf);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var approval = await new ApprovalStore(host.Writer, TestLogger.Create("dashboard")).FindAsync("production", DashboardTestHost.ImageB, Cancel);
        Assert.NotNull(approval);
        Assert.StartsWith("dashboard-", approval.Run);
        var head = (await host.Writer.HistoryAsync(cancellationToken: Cancel))[0];
        Assert.Equal($"Approve {DashboardTestHost.ImageB.Split('@')[1][..19]} for production", head.Subject);
        Assert.Equal(DashboardTestHost.ImageB, head.Trailers[ApprovalStore.ApprovedImageTrailer]);
        var after = await EnvironmentAsync(http, "production");
        Assert.False(after.GetProperty("promotion").GetProperty("waiting").GetBoolean());
        Assert.True(after.GetProperty("promotion").GetProperty("approved").GetBoolean());
    }

}
