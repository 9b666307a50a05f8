using System.Net;

namespace Slipway.Delivery.Registry;

/// <summary>The registry did not answer usefully (unreachable, timing out or failing with 5xx/429) even after the retries.</summary>
public sealed class RegistryUnavailableException(string registry, int attempts, string problem, Exception? inner = null, string? fix = null) : Exception(
    $"registry {registry} unreachable after {attempts} attempt{(attempts == 1 ? "" : "s")}: {problem}; " +
    (fix ?? "start it with ./build.sh Infrastructure or set --registry to a running registry."), inner)
{
    public string Registry { get; } = registry;
    public int Attempts { get; } = attempts;
}

/// <summary>One entry of the distribution API's error body: {"errors":[{"code":…,"message":…,"detail":…}]}.</summary>
public sealed record RegistryError(string Code, string Message, string? Detail);

/// <summary>The registry answered a request with an error (4xx other than auth, or an unexpected status).</summary>
public sealed class RegistryRequestException(string registry, string operation, HttpStatusCode status, IReadOnlyList<RegistryError> errors, string? body)
    : Exception(Describe(registry, operation, status, errors, body))
{
    public string Registry { get; } = registry;
    public HttpStatusCode StatusCode { get; } = status;
    public IReadOnlyList<RegistryError> Errors { get; } = errors;

    private static string Describe(string registry, string operation, HttpStatusCode status, IReadOnlyList<RegistryError> errors, string? body)
    {
        var what = errors.Count > 0
            ? string.Join("; ", errors.Select(error => $"{error.Code}: {error.Message}" + (string.IsNullOrEmpty(error.Detail) ? "" : $" ({error.Detail})")))
            : string.IsNullOrWhiteSpace(body) ? "no error details" : body.Length > 300 ? body[..300] + "…" : body;
        return $"registry {registry} refused {operation}: {(int)status} {status}: {what}";
    }
}

/// <summary>The registry wants credentials we do not have, or refused the ones we sent.</summary>
public sealed class RegistryAuthenticationException(string registry, string problem) : Exception(
    $"registry {registry}: {problem}. Log in with 'docker login {registry}' (stored in ~/.docker/config.json) " +
    "or pass the registry user name and password as secret parameters.")
{
    public string Registry { get; } = registry;
}

/// <summary>A 5xx/429/408 answer, retried by the client's resilience pipeline; never escapes the client.</summary>
internal sealed class TransientRegistryResponseException(HttpStatusCode status, string detail)
    : Exception($"{(int)status} {status}{(string.IsNullOrWhiteSpace(detail) ? "" : ": " + detail)}")
{
    public HttpStatusCode StatusCode { get; } = status;
}
