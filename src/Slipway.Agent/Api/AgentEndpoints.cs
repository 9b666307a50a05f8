using Slipway.Agent.Sync;
using Slipway.Delivery.AgentApi;

namespace Slipway.Agent.Api;

/// <summary>
/// The agent's HTTP API on 127.0.0.1: status for the build, health for supervisors, the Git webhook (HMAC-signed, each
/// delivery once) and POST /sync for local callers holding the operator token.
/// </summary>
public static class AgentEndpoints
{
    public const int MaxWebhookBody = 1024 * 1024;
    public const string DeliveryHeader = "X-GitHub-Delivery";

    public static void MapAgentApi(this WebApplication app, AgentOptions options)
    {
        var deliveries = new WebhookDeliveries();
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" }));
        app.MapGet("/status", (StatusBoard board) => Results.Json(board.Snapshot(), AgentJson.Options));
        app.MapPost("/sync", (SyncTrigger trigger) =>
        {
            trigger.Request();
            return Results.Accepted(value: new { queued = true });
        }).RequireOperatorToken(options);
        app.MapPost("/hooks/git", async (HttpRequest request, SyncTrigger trigger, Serilog.ILogger logger) =>
        {
            // Refused before a byte is read when the sender declares too much; the read below is bounded as well.
            if (request.ContentLength > MaxWebhookBody) return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
            // The signature covers the raw bytes, so the body is read as is, never re-serialized.
            using var body = new MemoryStream();
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted)) > 0)
            {
                if (body.Length + read > MaxWebhookBody) return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
                body.Write(buffer, 0, read);
            }
            if (string.IsNullOrEmpty(options.WebhookSecret))
            {
                logger.Warning("Webhook rejected: the agent has no webhook secret (set SLIPWAY_AGENT_WEBHOOK_SECRET)");
                return Results.Text("webhook secret not configured on the agent", statusCode: StatusCodes.Status401Unauthorized);
            }
            var signature = request.Headers[WebhookSignature.HeaderName].ToString();
            if (!WebhookSignature.IsValid(options.WebhookSecret, body.GetBuffer().AsSpan(0, (int)body.Length), signature.Length == 0 ? null : signature))
            {
                logger.Warning("Webhook rejected: {Reason}", signature.Length == 0 ? "no signature" : "signature does not match");
                return Results.Text(signature.Length == 0 ? $"missing {WebhookSignature.HeaderName}" : "signature does not match",
                    statusCode: StatusCodes.Status401Unauthorized);
            }
            var delivery = request.Headers[DeliveryHeader].ToString();
            if (delivery.Length is 0 or > 128)
                return Results.Text($"missing or oversized {DeliveryHeader}: every delivery needs its own id", statusCode: StatusCodes.Status400BadRequest);
            if (!deliveries.TryRecord(delivery))
            {
                logger.Warning("Webhook rejected: delivery {Delivery} was already received (a replay)", delivery);
                return Results.Text($"delivery {delivery} was already received", statusCode: StatusCodes.Status409Conflict);
            }
            trigger.Request();
            return Results.Accepted(value: new { queued = true });
        });
    }
}

static class AgentJson
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = new(System.Text.Json.JsonSerializerDefaults.Web);
}
