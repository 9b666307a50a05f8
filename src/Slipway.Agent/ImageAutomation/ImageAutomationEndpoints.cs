using System.Text.Json;
using Slipway.Agent.Api;

namespace Slipway.Agent.ImageAutomation;

/// <summary>
/// POST /hooks/registry: a registry notification (distribution's format, sent with <c>Authorization: Bearer &lt;token&gt;</c>
/// from the registry's notifications.endpoints[].headers) starts an immediate scan of the environments watching a pushed
/// repository. No or a wrong token: 401 and nothing is scanned. GET /image-automation: the last scan per environment.
/// </summary>
public static class ImageAutomationEndpoints
{
    const int MaxBody = 1024 * 1024;

    public static void MapImageAutomationApi(this WebApplication app, AgentOptions options)
    {
        app.MapGet("/image-automation", (IServiceProvider services) =>
            services.GetService<ImageAutomationService>() is { } automation
                ? Results.Json(automation.Status(), AutomationJson.Options)
                : Results.Json(Array.Empty<ImageAutomationStatus>(), AutomationJson.Options));

        app.MapPost("/hooks/registry", async (HttpRequest request, IServiceProvider services, ILogger logger) =>
        {
            if (!BearerToken.Matches(options.RegistryWebhookToken, request.Headers.Authorization.ToString()))
            {
                logger.Warning("Registry webhook rejected: {Reason}", string.IsNullOrEmpty(options.RegistryWebhookToken)
                    ? "the agent has no registry webhook token (set --registry-webhook-token)"
                    : "missing or wrong bearer token");
                return Results.Text("a valid 'Authorization: Bearer <token>' is required", statusCode: StatusCodes.Status401Unauthorized);
            }
            if (services.GetService<ImageAutomationService>() is not { } automation)
                return Results.Text("image automation is off on this agent (no --image-automation file)", statusCode: StatusCodes.Status404NotFound);

            using var body = new MemoryStream();
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted)) > 0)
            {
                if (body.Length + read > MaxBody) return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
                body.Write(buffer, 0, read);
            }
            IReadOnlySet<string> pushed;
            try
            {
                pushed = RegistryNotification.PushedRepositories(body.GetBuffer().AsSpan(0, (int)body.Length));
            }
            catch (JsonException exception)
            {
                return Results.Text($"not a registry notification: {exception.Message}", statusCode: StatusCodes.Status400BadRequest);
            }
            var environments = automation.Rules.Where(rule => pushed.Any(rule.Watches)).Select(rule => rule.Environment).ToList();
            if (environments.Count > 0) services.GetRequiredService<ImageScanTrigger>().Request(environments);
            return Results.Accepted(value: new { queued = environments });
        });
    }
}

static class AutomationJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
}
