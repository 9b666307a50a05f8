using Slipway.Agent.Sync;
using Slipway.Delivery.AgentApi;

namespace Slipway.Agent.Api;

/// <summary>The agent's HTTP API on 127.0.0.1: status for the build, health for supervisors, the Git webhook.</summary>
public static class AgentEndpoints
{
    const int MaxWebhookBody = 1024 * 1024;

    public static void MapAgentApi(this WebApplication app, AgentOptions options)
    {
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" }));
        app.MapGet("/status", (StatusBoard board) => Results.Json(board.Snapshot(), AgentJson.Options));
        app.MapPost("/hooks/git", async (HttpRequest request, SyncTrigger trigger, Serilog.ILogger logger) =>
        {
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
            trigger.Request();
            return Results.Accepted(value: new { queued = true });
        });
    }
}

static class AgentJson
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = new(System.Text.Json.JsonSerializerDefaults.Web);
}
