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

/// <summary><see cref="IReplicaHttp"/> over one pooled <see cref="HttpClient"/>.</summary>
public sealed class ReplicaHttp : IReplicaHttp, IDisposable
{
    readonly HttpClient http = new() { Timeout = Timeout.InfiniteTimeSpan };

    public async Task<HttpAnswer> GetAsync(Uri url, TimeSpan timeout, KeyValuePair<string, string>? header, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (header is { } extra) request.Headers.TryAddWithoutValidation(extra.Key, extra.Value);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token);
            return new HttpAnswer((int)response.StatusCode, await response.Content.ReadAsStringAsync(deadline.Token));
        }
        catch (Exception exception) when (exception is HttpRequestException || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new HttpAnswer(null, exception.Message);
        }
    }

    public void Dispose() => http.Dispose();
}
