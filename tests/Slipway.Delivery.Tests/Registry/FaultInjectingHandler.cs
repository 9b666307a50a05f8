using System.Net;

namespace Slipway.Delivery.Tests.Registry;

/// <summary>
/// Sits between the client and a real registry and, for requests matching a rule, answers in the registry's place
/// (a 503, a 429, a lie) or rewrites the real answer. Counts what passed through.
/// </summary>
internal sealed class FaultInjectingHandler : DelegatingHandler
{
    private readonly List<Func<HttpRequestMessage, HttpResponseMessage?>> faults = [];
    private readonly List<Action<HttpResponseMessage>> rewrites = [];

    private int requests;

    public FaultInjectingHandler() : base(new SocketsHttpHandler()) { }

    public int Requests => Volatile.Read(ref requests);

    /// <summary>Answers the first <paramref name="times"/> matching requests with <paramref name="status"/>.</summary>
    public FaultInjectingHandler Fail(Func<HttpRequestMessage, bool> matches, HttpStatusCode status, int times = int.MaxValue)
    {
        var left = times;
        faults.Add(request =>
        {
            if (!matches(request) || Interlocked.Decrement(ref left) < 0) return null;
            return new HttpResponseMessage(status) { RequestMessage = request, Content = new StringContent("""{"errors":[{"code":"UNAVAILABLE","message":"injected"}]}""") };
        });
        return this;
    }

    public FaultInjectingHandler Answer(Func<HttpRequestMessage, HttpResponseMessage?> answer)
    {
        faults.Add(answer);
        return this;
    }

    public FaultInjectingHandler Rewrite(Action<HttpResponseMessage> rewrite)
    {
        rewrites.Add(rewrite);
        return this;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref requests);
        foreach (var fault in faults)
            if (fault(request) is { } injected)
                return injected;
        var response = await base.SendAsync(request, cancellationToken);
        foreach (var rewrite in rewrites) rewrite(response);
        return response;
    }
}
