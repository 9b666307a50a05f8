using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Slipway.Edge.Contract;
using Slipway.Testing;

namespace Slipway.Edge.Tests.Infrastructure;

/// <summary>Replicas for the edge to route to: real Kestrel apps that answer their own name, and a silent one that accepts and never answers.</summary>
sealed class Backends : IAsyncDisposable
{
    readonly List<WebApplication> apps = [];
    readonly List<TcpListener> silent = [];

    public async Task<EdgeDestination> StartAsync(string name)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.MapGet("/{**path}", () => name);
        await app.StartAsync(TestContext.Current.CancellationToken);
        apps.Add(app);
        return new EdgeDestination(name, $"http://127.0.0.1:{port}/");
    }

    /// <summary>A replica that takes connections and never answers (as a frozen, <c>docker pause</c>d one does).</summary>
    public EdgeDestination StartSilent(string name)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        silent.Add(listener);
        return new EdgeDestination(name, $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
    }

    /// <summary>An address nothing listens on: every connection is refused (a replica that died).</summary>
    public static EdgeDestination Dead(string name) => new(name, $"http://127.0.0.1:{FreePort.Next()}/");

    public static EdgeRoute Route(string environment, int port, IReadOnlyList<EdgeDestination> stable, IReadOnlyList<EdgeDestination>? canary = null,
                                  int weight = 0, EdgeAudience? audience = null) =>
        new(environment, port, "/readyz", stable, canary ?? [], weight, audience, EdgeRoute.DefaultDeniedPaths, EdgeRoute.DefaultAllowedHosts);

    public async ValueTask DisposeAsync()
    {
        foreach (var app in apps) await app.DisposeAsync();
        foreach (var listener in silent) listener.Dispose();
    }
}
