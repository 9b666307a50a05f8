using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Slipway.Agent.Tests.Infrastructure;

/// <summary>
/// A real Kestrel endpoint on 127.0.0.1 (port 0) standing in for gate webhooks: <c>/pass</c> answers 200,
/// <c>/fail</c> 500 with a body, <c>/never</c> holds the request until the caller gives up, <c>/held</c> answers 200
/// once <see cref="Release"/> is called after <see cref="Hold"/> (at once otherwise). Every POST body is kept.
/// </summary>
sealed class GateServer : IAsyncDisposable
{
    readonly WebApplication app;

    GateServer(WebApplication app, Uri root)
    {
        this.app = app;
        Root = root;
    }

    public Uri Root { get; }
    public ConcurrentQueue<(string Path, JsonElement Body)> Calls { get; } = new();

    TaskCompletionSource held = Released();

    static TaskCompletionSource Released()
    {
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        released.SetResult();
        return released;
    }

    /// <summary>From now on <c>/held</c> answers only after <see cref="Release"/>.</summary>
    public void Hold() => held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => held.TrySetResult();

    public string Url(string path) => new Uri(Root, path).ToString();

    public static async Task<GateServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        GateServer? server = null;
        async Task<JsonElement> RecordAsync(HttpContext context)
        {
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body, cancellationToken: context.RequestAborted);
            server!.Calls.Enqueue((context.Request.Path.Value ?? "", body));
            return body;
        }
        app.MapPost("/pass", async context => { await RecordAsync(context); context.Response.StatusCode = 200; });
        app.MapPost("/fail", async context =>
        {
            await RecordAsync(context);
            context.Response.StatusCode = 500;
            await context.Response.WriteAsync("load test failed: p95 900 ms", context.RequestAborted);
        });
        app.MapPost("/never", async context =>
        {
            await RecordAsync(context);
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        });
        app.MapPost("/held", async context =>
        {
            await RecordAsync(context);
            await server!.held.Task.WaitAsync(context.RequestAborted);
            context.Response.StatusCode = 200;
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server = new GateServer(app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/"));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
    }
}
