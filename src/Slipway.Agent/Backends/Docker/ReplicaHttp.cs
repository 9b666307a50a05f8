namespace Slipway.Agent.Backends.Docker;

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
