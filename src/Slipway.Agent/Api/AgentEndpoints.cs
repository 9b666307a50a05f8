using Slipway.Agent.Rollbacks;
using Slipway.Agent.Sync;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.Git;
using Slipway.Delivery.Promotion;

namespace Slipway.Agent.Api;

/// <summary>
/// The agent's HTTP API on 127.0.0.1: status for the build, health for supervisors, the Git webhook (HMAC-signed, each
/// delivery once), and for local callers holding the operator token POST /sync and an environment's rollback.
/// </summary>
public static class AgentEndpoints
{
    public const int MaxWebhookBody = 1024 * 1024;
    public const string DeliveryHeader = "X-GitHub-Delivery";

    static IResult Error(int status, string message) => AgentJson.Error(status, message);

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
        app.MapPost("/environments/{environment}/rollback", async (string environment, AgentRollbackRequest request, OperatorRollback rollbacks) =>
        {
            // Bound to the agent, not to the request: a caller that gives up (Ctrl-C) must not cancel a commit whose
            // traffic already moved, which would send it back to the version left.
            var cancellationToken = app.Lifetime.ApplicationStopping;
            if (!options.Environments.Contains(environment, StringComparer.Ordinal))
                return AgentJson.UnknownEnvironment(environment);
            if (request.Problem() is { } problem) return Error(StatusCodes.Status400BadRequest, problem);
            try
            {
                var (rollback, switchedAt) = await rollbacks.RollBackAsync(environment, request.To, request.Run, cancellationToken);
                return Results.Json(new AgentRollbackResponse(environment, rollback.Commit.Sha, rollback.Commit.Changed, rollback.RolledBackCommit,
                    rollback.PreviousImage, rollback.ReplacedImage, switchedAt), AgentJson.Options);
            }
            catch (Exception refused) when (refused is RollbackRefusedException or Slipway.Delivery.Manifests.ManifestException)
            {
                return Error(StatusCodes.Status409Conflict, refused.Message);
            }
            catch (GitException failed)
            {
                return Error(StatusCodes.Status502BadGateway, $"the config repo refused the rollback's commit: {failed.Message}");
            }
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
    public static IResult Error(int status, string message) => Results.Json(new { error = message }, Options, statusCode: status);

    /// <summary>404 for an environment this agent does not manage, naming it.</summary>
    public static IResult UnknownEnvironment(string environment) =>
        Error(StatusCodes.Status404NotFound, $"this agent manages no environment '{Truncate(environment)}'");

    /// <summary>A caller's text as an error message quotes it: cut at 80 characters.</summary>
    public static string Truncate(string text) => text.Length > 80 ? text[..80] + "…" : text;

    public static readonly System.Text.Json.JsonSerializerOptions Options = new(System.Text.Json.JsonSerializerDefaults.Web);
}
