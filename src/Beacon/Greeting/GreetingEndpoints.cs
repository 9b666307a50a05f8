using Beacon.Versioning;
using Microsoft.FeatureManagement;

namespace Beacon.Greeting;

public static class GreetingEndpoints
{
    /// <summary>Switches the greeting between v1 and v2.</summary>
    public const string V2Flag = "Greeting.V2";

    /// <summary>Variant flag whose assigned variant's configuration value is the greeting text (A/B).</summary>
    public const string StyleFlag = "Greeting.Style";

    public const string V1Message = "Hello from Beacon";
    public const string V2Message = "Greetings from Beacon v2";

    /// <summary>
    /// /api/greeting: the message is the text of the caller's Greeting.Style variant when one is assigned,
    /// else the v2 or v1 greeting as Greeting.V2 says.
    /// </summary>
    public static IEndpointRouteBuilder MapGreeting(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/greeting", async (HttpContext context, IVariantFeatureManager features, BuildInfo build, CancellationToken cancellation) =>
        {
            BeaconUser.Ensure(context);
            var v2 = await features.IsEnabledAsync(V2Flag, cancellation);
            var variant = await features.GetVariantAsync(StyleFlag, cancellation);
            var message = variant?.Configuration?.Value is { Length: > 0 } text ? text : v2 ? V2Message : V1Message;
            return Results.Json(new GreetingAnswer(message, variant?.Name, build.Version), BeaconJsonContext.Default.GreetingAnswer);
        });
        return endpoints;
    }
}

public sealed record GreetingAnswer(string Message, string? Variant, string Version);
