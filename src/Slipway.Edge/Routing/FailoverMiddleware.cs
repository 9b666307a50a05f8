using Yarp.ReverseProxy.Forwarder;

namespace Slipway.Edge.Routing;

/// <summary>
/// A request without a body that a replica failed before answering (connection refused or reset, silent past the
/// replica timeout) is sent again to another replica, so a replica dying or freezing costs the client nothing.
/// Anything with a body or a started response is never replayed.
/// </summary>
static class FailoverMiddleware
{
    const int MaxAttempts = 3;

    public static async Task ForwardAsync(HttpContext context, Func<Task> next)
    {
        var feature = context.GetReverseProxyFeature();
        var candidates = feature.AvailableDestinations;
        for (var attempt = 1; ; attempt++)
        {
            await next();
            if (attempt >= MaxAttempts || context.Response.HasStarted || !Replayable(context.Request)) return;
            if (context.Features.Get<IForwarderErrorFeature>() is not { } failure || !EjectOnFailurePolicy.IsReplicaFailure(failure.Error)) return;
            var failed = feature.ProxiedDestination;
            var remaining = candidates.Where(d => !ReferenceEquals(d, failed)).ToList();
            if (remaining.Count == 0) return;
            candidates = remaining;
            context.Features.Set<IForwarderErrorFeature>(null);
            context.Response.Clear();
            feature.AvailableDestinations = remaining;
        }
    }

    static bool Replayable(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        && request.ContentLength is null or 0 && !request.Headers.TransferEncoding.Any();
}
