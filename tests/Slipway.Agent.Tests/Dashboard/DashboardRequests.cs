using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Slipway.Agent.Dashboard;

namespace Slipway.Agent.Tests.Dashboard;

/// <summary>What the dashboard tests send and read: a login, a request with the session cookie and CSRF header, an event of the live feed.</summary>
static class DashboardRequests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static async Task<JsonElement> NextEventAsync(StreamReader reader)
    {
        string? type = null;
        while (await reader.ReadLineAsync(Cancel) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) type = line["event: ".Length..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && type == "status") return JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone();
        }
        throw new EndOfStreamException("the event stream ended");
    }

    public static async Task<JsonElement> EnvironmentAsync(HttpClient http, string name) =>
        (await http.GetFromJsonAsync<JsonElement>("/dashboard/api/environments", Cancel)).EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);

    public static async Task<(string Cookie, string Csrf)> LogInAsync(HttpClient http)
    {
        using var response = await http.PostAsync("/dashboard/api/login", Json($$"""{"token":"{{DashboardTestHost.OperatorToken}}"}"""), Cancel);
        response.EnsureSuccessStatusCode();
        var cookie = response.Headers.GetValues("Set-Cookie").Single().Split(';')[0][(OperatorSessions.CookieName.Length + 1)..];
        var csrf = (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("csrfToken").GetString()!;
        return (cookie, csrf);
    }

    public static Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string cookie, string? csrf, string? origin = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Cookie", $"{OperatorSessions.CookieName}={cookie}");
        if (csrf is not null) request.Headers.Add(OperatorSessions.CsrfHeader, csrf);
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (method == HttpMethod.Post) request.Content = Json("{}");
        return http.SendAsync(request, Cancel);
    }

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
