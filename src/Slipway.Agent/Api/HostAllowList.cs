namespace Slipway.Agent.Api;

/// <summary>
/// Answers 421 Misdirected Request to any request whose Host is not the agent's own loopback address
/// (127.0.0.1:&lt;port&gt;, localhost:&lt;port&gt;, [::1]:&lt;port&gt;): a web page that rebinds its own DNS name to
/// 127.0.0.1 still sends its own name as Host, so it never reaches the API.
/// </summary>
public sealed class HostAllowList(RequestDelegate next, int port)
{
    readonly HashSet<string> allowed = new(StringComparer.OrdinalIgnoreCase) { $"127.0.0.1:{port}", $"localhost:{port}", $"[::1]:{port}" };

    public Task InvokeAsync(HttpContext context)
    {
        if (allowed.Contains(context.Request.Host.Value ?? ""))
            return next(context);
        context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
        return context.Response.WriteAsync($"unknown Host; this API answers only to {string.Join(", ", allowed)}");
    }
}
