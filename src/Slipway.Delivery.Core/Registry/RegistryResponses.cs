using System.Net;
using System.Text.Json;

namespace Slipway.Delivery.Registry;

/// <summary>Reading registry answers: which statuses are transient, and the distribution error body.</summary>
internal static class RegistryResponses
{
    public static bool IsTransient(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout;

    public static async Task<RegistryRequestException> ErrorAsync(string registry, string operation, HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        return new RegistryRequestException(registry, operation, response.StatusCode, ParseErrors(body), body);
    }

    public static IReadOnlyList<RegistryError> ParseErrors(string body)
    {
        if (string.IsNullOrWhiteSpace(body)) return [];
        try
        {
            using var document = JsonDocument.Parse(body);
            if (!document.RootElement.TryGetProperty("errors", out var errors) || errors.ValueKind != JsonValueKind.Array) return [];
            return errors.EnumerateArray()
                .Select(error => new RegistryError(
                    Text(error, "code") ?? "UNKNOWN",
                    Text(error, "message") ?? "",
                    error.TryGetProperty("detail", out var detail) && detail.ValueKind != JsonValueKind.Null
                        ? detail.ValueKind == JsonValueKind.String ? detail.GetString() : detail.GetRawText()
                        : null))
                .ToList();
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
