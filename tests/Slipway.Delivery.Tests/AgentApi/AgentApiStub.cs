using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Slipway.Delivery.AgentApi;

namespace Slipway.Delivery.Tests.AgentApi;

/// <summary>
/// A stub of the agent API: only <c>GET /status</c>, on 127.0.0.1, answering the statuses a test scripts in order (the last
/// one repeats). It stands in for the agent's canary and blue-green drivers, which live on other branches; it follows the
/// rollout contract (RolloutStatus in EnvironmentStatus.Rollout).
/// </summary>
public sealed class AgentApiStub : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly Queue<AgentStatus> script;
    private AgentStatus current;

    private AgentApiStub(WebApplication app, IEnumerable<AgentStatus> statuses)
    {
        this.app = app;
        script = new Queue<AgentStatus>(statuses);
        current = script.Dequeue();
    }

    public int Requests { get; private set; }

    public static async Task<(AgentApiStub Stub, AgentClient Client)> StartAsync(params AgentStatus[] statuses)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var stub = new AgentApiStub(app, statuses);
        var json = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web);
        app.MapGet("/status", () =>
        {
            lock (stub.script)
            {
                stub.Requests++;
                var answer = stub.current;
                if (stub.script.Count > 0) stub.current = stub.script.Dequeue();
                return Results.Json(answer, json);
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return (stub, new AgentClient(new Uri(address + "/")));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
