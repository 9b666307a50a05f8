using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Slipway.Delivery.Registry;

/// <summary>
/// Answers a registry's 401 challenge (distribution spec): Basic with the stored credentials, or Bearer by fetching a
/// token from the challenge's realm for its service and scope. Remembers the last Authorization per host and repository.
/// Header values stay in memory only; nothing here is logged.
/// </summary>
internal sealed partial class RegistryAuthenticator(HttpClient http, Func<string, CancellationToken, Task<RegistryCredentials?>> credentials)
{
    private readonly ConcurrentDictionary<string, AuthenticationHeaderValue> authorizations = new(StringComparer.Ordinal);

    public AuthenticationHeaderValue? Current(string registry, string? repository) =>
        authorizations.TryGetValue(Key(registry, repository), out var value) ? value : null;

    /// <summary>Obtains an Authorization for the challenge in <paramref name="unauthorized"/>; throws when it cannot.</summary>
    public async Task<AuthenticationHeaderValue> AuthorizeAsync(string registry, string? repository, HttpResponseMessage unauthorized,
                                                               bool alreadyTried, CancellationToken ct)
    {
        var found = await credentials(registry, ct);
        if (alreadyTried)
            throw new RegistryAuthenticationException(registry, found is null
                ? "access denied to anonymous clients"
                : $"the registry rejected the credentials of user '{found.Username}'");

        var challenge = unauthorized.Headers.WwwAuthenticate.FirstOrDefault()
            ?? throw new RegistryAuthenticationException(registry, "it answered 401 without a WWW-Authenticate challenge");

        AuthenticationHeaderValue authorization;
        if (challenge.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (found is null)
                throw new RegistryAuthenticationException(registry, "it requires credentials (Basic) and none are configured for it");
            authorization = Basic(found);
        }
        else if (challenge.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            authorization = new AuthenticationHeaderValue("Bearer", await FetchTokenAsync(registry, challenge.Parameter ?? "", found, ct));
        }
        else
        {
            throw new RegistryAuthenticationException(registry, $"it asks for the unsupported authentication scheme '{challenge.Scheme}'");
        }
        authorizations[Key(registry, repository)] = authorization;
        return authorization;
    }

    private async Task<string> FetchTokenAsync(string registry, string challengeParameters, RegistryCredentials? found, CancellationToken ct)
    {
        var parameters = ChallengeParameter().Matches(challengeParameters)
            .ToDictionary(match => match.Groups["key"].Value.ToLowerInvariant(), match => match.Groups["value"].Value);
        if (!parameters.TryGetValue("realm", out var realm) || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri))
            throw new RegistryAuthenticationException(registry, "its Bearer challenge names no valid token realm");

        var query = new List<string>();
        if (parameters.TryGetValue("service", out var service)) query.Add("service=" + Uri.EscapeDataString(service));
        if (parameters.TryGetValue("scope", out var scopes))
            foreach (var scope in scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                query.Add("scope=" + Uri.EscapeDataString(scope));
        if (found is not null) query.Add("account=" + Uri.EscapeDataString(found.Username));
        var builder = new UriBuilder(realmUri);
        var existing = builder.Query.TrimStart('?');
        builder.Query = string.Join('&', query.Prepend(existing).Where(part => part.Length > 0));

        using var request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
        if (found is not null) request.Headers.Authorization = Basic(found);
        using var response = await http.SendAsync(request, ct);
        if (RegistryResponses.IsTransient(response.StatusCode))
            throw new TransientRegistryResponseException(response.StatusCode, "token service " + realmUri.GetLeftPart(UriPartial.Path));
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            throw new RegistryAuthenticationException(registry, found is null
                ? $"its token service {realmUri.GetLeftPart(UriPartial.Path)} refuses anonymous access"
                : $"its token service {realmUri.GetLeftPart(UriPartial.Path)} rejected the credentials of user '{found.Username}'");
        if (!response.IsSuccessStatusCode)
            throw new RegistryAuthenticationException(registry, $"its token service {realmUri.GetLeftPart(UriPartial.Path)} answered {(int)response.StatusCode}");

        using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(ct));
        foreach (var name in new[] { "token", "access_token" })
            if (document.RootElement.TryGetProperty(name, out var token) && token.ValueKind == JsonValueKind.String && !string.IsNullOrEmpty(token.GetString()))
                return token.GetString()!;
        throw new RegistryAuthenticationException(registry, "its token service answered without a token");
    }

    private static AuthenticationHeaderValue Basic(RegistryCredentials credentials) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}")));

    private static string Key(string registry, string? repository) => registry + "/" + (repository ?? "");

    [GeneratedRegex("""(?<key>[A-Za-z_]+)="(?<value>[^"]*)"|(?<key>[A-Za-z_]+)=(?<value>[^,\s]+)""")]
    private static partial Regex ChallengeParameter();
}
