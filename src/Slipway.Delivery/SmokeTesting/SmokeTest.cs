using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Slipway.Delivery.SmokeTesting;

/// <summary>
/// Smoke tests an environment through its stable port: /healthz and /readyz answer 200, /version reports the expected
/// version, image digest and configuration hash, and the greeting answers 200. Rounds of checks repeat until all pass
/// in one round or the time is up (a rollout may still be converging).
/// </summary>
public static class SmokeTest
{
    public static async Task<SmokeTestResult> RunAsync(Uri baseUrl, SmokeExpectations expectations, SmokeTestOptions options,
        Serilog.ILogger log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(expectations);
        ArgumentNullException.ThrowIfNull(options);
        using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = options.RequestTimeout, PooledConnectionLifetime = TimeSpan.FromSeconds(5) })
        {
            BaseAddress = baseUrl,
            Timeout = options.RequestTimeout,
        };
        var startedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var rounds = 0;
        IReadOnlyList<SmokeCheckResult> checks;
        while (true)
        {
            rounds++;
            checks = await RunRoundAsync(http, expectations, options, cancellationToken);
            if (checks.All(check => check.Passed)) break;
            if (clock.Elapsed + options.RetryInterval > options.Timeout) break;
            log.Information("Smoke test of {Environment}, round {Round}: {Failures}; retrying in {Interval:0.#} s", options.Environment, rounds,
                string.Join("; ", checks.Where(check => !check.Passed).Select(check => $"{check.Name} {check.Actual}")), options.RetryInterval.TotalSeconds);
            await Task.Delay(options.RetryInterval, cancellationToken);
        }

        var result = new SmokeTestResult(options.Environment, baseUrl, checks.All(check => check.Passed), rounds, startedAt, clock.Elapsed, checks);
        if (result.Passed) log.Information("Smoke test of {Environment} passed after {Rounds} round(s)", options.Environment, rounds);
        else log.Error("Smoke test of {Environment} failed after {Rounds} round(s) in {Seconds:0.0} s: {Failures}",
            options.Environment, rounds, clock.Elapsed.TotalSeconds, result.FailureSummary);
        if (options.ArtifactsDirectory is { } artifacts)
            log.Information("Smoke test report: {Path}", result.WriteArtifact(artifacts));
        return result;
    }

    private static async Task<IReadOnlyList<SmokeCheckResult>> RunRoundAsync(HttpClient http, SmokeExpectations expectations,
        SmokeTestOptions options, CancellationToken cancellationToken)
    {
        var checks = new List<SmokeCheckResult>
        {
            await StatusCheckAsync(http, "/healthz", "liveness /healthz", cancellationToken),
            await StatusCheckAsync(http, "/readyz", "readiness /readyz", cancellationToken),
        };
        checks.AddRange(await VersionChecksAsync(http, expectations, cancellationToken));
        checks.Add(await StatusCheckAsync(http, options.GreetingPath, $"greeting {options.GreetingPath}", cancellationToken));
        return checks;
    }

    private static async Task<SmokeCheckResult> StatusCheckAsync(HttpClient http, string path, string name, CancellationToken cancellationToken)
    {
        var (status, _, error) = await GetAsync(http, path, cancellationToken);
        return new SmokeCheckResult(name, status == HttpStatusCode.OK, "200", error ?? ((int)status!).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<IEnumerable<SmokeCheckResult>> VersionChecksAsync(HttpClient http, SmokeExpectations expectations, CancellationToken cancellationToken)
    {
        var (status, body, error) = await GetAsync(http, "/version", cancellationToken);
        var expected = new List<(string Name, string Field, string? Value)>
        {
            ("version", "version", expectations.Version),
            ("image digest", "imageDigest", expectations.Digest),
            ("config hash", "configHash", expectations.ConfigHash),
        }.Where(item => item.Value is not null).ToList();
        string? problem = error ?? (status != HttpStatusCode.OK ? $"/version answered {(int)status!}" : null);
        Dictionary<string, string?> reported = [];
        if (problem is null)
        {
            try
            {
                using var document = JsonDocument.Parse(body!);
                foreach (var property in document.RootElement.EnumerateObject())
                    reported[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.GetRawText();
            }
            catch (JsonException exception)
            {
                problem = $"/version is not JSON ({exception.Message})";
            }
        }
        return expected.Select(item =>
        {
            var actual = problem ?? (reported.TryGetValue(item.Field, out var value) ? value ?? "null" : $"no '{item.Field}' in /version");
            return new SmokeCheckResult(item.Name, problem is null && actual == item.Value, item.Value!, actual);
        });
    }

    private static async Task<(HttpStatusCode? Status, string? Body, string? Error)> GetAsync(HttpClient http, string path, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(path, cancellationToken);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken), null);
        }
        catch (HttpRequestException exception)
        {
            return (null, null, $"unreachable ({exception.HttpRequestError}: {exception.Message})");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, null, $"no answer within {http.Timeout.TotalSeconds:0.#} s");
        }
    }
}
