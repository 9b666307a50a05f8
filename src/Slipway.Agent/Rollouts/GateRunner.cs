using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.Manifests;

namespace Slipway.Agent.Rollouts;

/// <summary>What every gate webhook is POSTed (camelCase JSON): the rollout it is asked to let through.</summary>
/// <param name="PreviewUrl">blue-green: where the new colour answers before the switch; null for other strategies.</param>
/// <param name="CanaryWeight">The share of traffic the new version will get when the gate passes (blue-green: 100).</param>
public sealed record GatePayload(
    string Environment,
    string Revision,
    string Image,
    string? StableImage,
    string Strategy,
    string? PreviewUrl,
    int CanaryWeight);

/// <summary>
/// Calls the pre-rollout gates (<see cref="GateSpec"/>) in order before any traffic moves: each is POSTed the
/// <see cref="GatePayload"/>; a 2xx answer passes, anything else — another status, a refused connection, no answer
/// within the gate's timeoutSeconds — fails it, and the gates after it are not called.
/// </summary>
public sealed class GateRunner(HttpClient http, ILogger log)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    const int BodyExcerpt = 300;

    /// <summary>The results of the gates called, in order; the rollout may go on only when every one passed (all were called).</summary>
    public async Task<IReadOnlyList<GateResult>> RunAsync(IReadOnlyList<GateSpec> gates, GatePayload payload, CancellationToken ct)
    {
        var results = new List<GateResult>();
        foreach (var gate in gates)
        {
            var result = await CallAsync(gate, payload, ct);
            results.Add(result);
            if (result.Passed)
            {
                log.Information("Gate {Gate} passed: {Message}", gate.Name, result.Message);
                continue;
            }
            log.Warning("Gate {Gate} failed: {Message}; the rollout of {Revision} halts", gate.Name, result.Message, Short(payload.Revision));
            break;
        }
        return results;
    }

    /// <summary>True when every gate was called and passed.</summary>
    public static bool AllPassed(IReadOnlyList<GateSpec> gates, IReadOnlyList<GateResult> results) =>
        results.Count == gates.Count && results.All(r => r.Passed);

    async Task<GateResult> CallAsync(GateSpec gate, GatePayload payload, CancellationToken ct)
    {
        var timeout = TimeSpan.FromSeconds(gate.TimeoutSeconds);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await http.PostAsJsonAsync(gate.Url, payload, Json, deadline.Token);
            var body = await response.Content.ReadAsStringAsync(deadline.Token);
            var code = (int)response.StatusCode;
            var passed = code is >= 200 and < 300;
            var excerpt = body.Length > BodyExcerpt ? body[..BodyExcerpt] + "…" : body;
            var message = passed
                ? $"answered {code} in {clock.Elapsed.TotalSeconds:0.0}s"
                : $"answered {code} {response.ReasonPhrase} (2xx passes){(excerpt.Length > 0 ? $": {excerpt.Trim()}" : "")}";
            return new GateResult(gate.Name, code, passed, message, DateTimeOffset.UtcNow);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new GateResult(gate.Name, null, false, $"no answer from {Display(gate.Url)} within its timeout of {gate.TimeoutSeconds}s", DateTimeOffset.UtcNow);
        }
        catch (HttpRequestException exception)
        {
            return new GateResult(gate.Name, null, false, $"could not call {Display(gate.Url)}: {exception.Message}", DateTimeOffset.UtcNow);
        }
    }

    /// <summary>A gate URL may carry a token (user info, query string): only scheme, host and path are shown.</summary>
    static string Display(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}" : "the gate URL";

    static string Short(string revision) => revision.Length > 12 ? revision[..12] : revision;
}
