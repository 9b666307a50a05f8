using System.Text.Json;
using Slipway.Delivery.Images;

namespace Slipway.Delivery.ContainerTesting;

/// <summary>The service's contract from outside: health, the version it reports, and its API answering JSON.</summary>
internal static class FunctionalChecks
{
    public static async Task<IReadOnlyList<ContainerCheck>> RunAsync(HttpClient http, BuiltImage image, ContainerTestOptions options, CancellationToken cancellationToken)
    {
        var checks = new List<ContainerCheck>();

        var health = await GetAsync(http, options.HealthPath, cancellationToken);
        checks.Add(new ContainerCheck(CheckCategory.Functional, $"{options.HealthPath} answers 200", health.Status == 200, health.Describe()));

        var version = await GetAsync(http, options.VersionPath, cancellationToken);
        checks.Add(VersionCheck(options.VersionPath, version, image));

        var greeting = await GetAsync(http, options.GreetingPath, cancellationToken);
        var isJson = greeting.Status == 200 && TryParse(greeting.Body, out _);
        checks.Add(new ContainerCheck(CheckCategory.Functional, $"{options.GreetingPath} answers 200 with JSON", isJson,
            isJson ? $"200 {Shorten(greeting.Body)}" : greeting.Describe()));
        return checks;
    }

    private static ContainerCheck VersionCheck(string path, Answer answer, BuiltImage image)
    {
        var name = $"{path} reports version and commit";
        if (answer.Status != 200 || !TryParse(answer.Body, out var json) || json.ValueKind != JsonValueKind.Object)
            return new ContainerCheck(CheckCategory.Functional, name, false, answer.Status == 200 ? $"not a JSON object: {Shorten(answer.Body)}" : answer.Describe());
        var reportedVersion = json.TryGetProperty("version", out var v) ? v.GetString() : null;
        var reportedCommit = json.TryGetProperty("commit", out var c) ? c.GetString() : null;
        var problems = new List<string>();
        if (reportedVersion != image.Version.Version) problems.Add($"version '{reportedVersion}' (expected '{image.Version.Version}')");
        if (reportedCommit is null || !image.Version.Commit.StartsWith(reportedCommit, StringComparison.OrdinalIgnoreCase) || reportedCommit.Length < 7)
            problems.Add($"commit '{reportedCommit}' (expected '{image.Version.Commit}')");
        return new ContainerCheck(CheckCategory.Functional, name, problems.Count == 0,
            problems.Count == 0 ? $"{reportedVersion} ({reportedCommit![..7]})" : "reports " + string.Join(", ", problems));
    }

    internal sealed record Answer(int Status, string Body, string? Error)
    {
        public string Describe() => Error ?? $"{Status} {Shorten(Body)}";
    }

    internal static async Task<Answer> GetAsync(HttpClient http, string path, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(path, cancellationToken);
            return new Answer((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken), null);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException)
        {
            return new Answer(0, "", $"no answer: {exception.Message}");
        }
    }

    private static bool TryParse(string body, out JsonElement element)
    {
        try
        {
            element = JsonDocument.Parse(body).RootElement.Clone();
            return true;
        }
        catch (JsonException)
        {
            element = default;
            return false;
        }
    }

    private static string Shorten(string text) => text.Length <= 80 ? text.ReplaceLineEndings(" ") : text[..80].ReplaceLineEndings(" ") + "…";
}
