using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Slipway.Delivery.Tests.SmokeTesting;

/// <summary>
/// A tiny real HTTP service on 127.0.0.1 with Beacon's contract (/healthz, /readyz, /version, /api/greeting),
/// whose answers a test sets: what a smoke test sees of a deployed environment.
/// </summary>
public sealed class ServiceStub : IAsyncDisposable
{
    private readonly WebApplication app;
    private int readinessCalls;

    private ServiceStub(WebApplication app) => this.app = app;

    public string Version { get; set; } = "1.2.3";
    public string ImageDigest { get; set; } = "sha256:" + new string('a', 64);
    public string ConfigHash { get; set; } = new('c', 64);
    /// <summary>/readyz answers 503 this many times before 200 (a replica still starting).</summary>
    public int NotReadyFor { get; set; }
    public int GreetingStatus { get; set; } = 200;
    public Uri BaseUrl { get; private set; } = null!;

    public static async Task<ServiceStub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var stub = new ServiceStub(app);
        app.MapGet("/healthz", () => Results.Ok("healthy"));
        app.MapGet("/readyz", () => Interlocked.Increment(ref stub.readinessCalls) > stub.NotReadyFor ? Results.Ok("ready") : Results.StatusCode(503));
        app.MapGet("/version", () => Results.Json(new Dictionary<string, string>
        {
            ["version"] = stub.Version, ["commit"] = "0123abc", ["buildTime"] = "2026-11-28T12:00:00Z",
            ["imageDigest"] = stub.ImageDigest, ["configHash"] = stub.ConfigHash,
        }));
        app.MapGet("/api/greeting", () => Results.Text("Hello", statusCode: stub.GreetingStatus));
        await app.StartAsync();
        stub.BaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        return stub;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
