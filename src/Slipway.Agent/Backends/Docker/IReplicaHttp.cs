namespace Slipway.Agent.Backends.Docker;

/// <summary>An HTTP answer as the agent's checks read it: the status code (null: no connection or no answer in time) and the body.</summary>
public sealed record HttpAnswer(int? StatusCode, string Body)
{
    public bool IsSuccess => StatusCode is >= 200 and < 300;
}

/// <summary>
/// Every request the agent itself sends to replicas and routers: readiness and liveness probes, /metrics scrapes,
/// warm-up requests, synthetic load, blue-green smoke checks. <see cref="ReplicaHttp"/> sends them for real; the fast
/// tests answer them from their in-memory replicas.
/// </summary>
public interface IReplicaHttp
{
    /// <summary>A GET that never throws for a transport failure or a timeout: those answer with a null status code.</summary>
    /// <param name="header">An extra request header (an A/B audience), or null.</param>
    Task<HttpAnswer> GetAsync(Uri url, TimeSpan timeout, KeyValuePair<string, string>? header, CancellationToken cancellationToken);
}
