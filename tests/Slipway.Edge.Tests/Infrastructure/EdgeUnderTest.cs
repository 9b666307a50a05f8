using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Slipway.Edge.Contract;

namespace Slipway.Edge.Tests.Infrastructure;

/// <summary>An edge copy running in-process over a state directory, and an HTTP client on its admin link (admin.sock).</summary>
sealed class EdgeUnderTest : IAsyncDisposable
{
    WebApplication? app;

    EdgeUnderTest(string stateDirectory, string name)
    {
        StateDirectory = stateDirectory;
        Name = name;
        Admin = AdminClient(Path.Combine(stateDirectory, "admin.sock"));
    }

    public string StateDirectory { get; }
    public string Name { get; }
    public HttpClient Admin { get; }

    public static async Task<EdgeUnderTest> StartAsync(string stateDirectory, string name = "blue", double drainSeconds = 5, string[]? extraArguments = null)
    {
        var edge = new EdgeUnderTest(stateDirectory, name);
        edge.app = EdgeHost.Build(["--state-dir", stateDirectory, "--name", name, "--drain", drainSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--replica-timeout", "1", .. extraArguments ?? []], Serilog.Core.Logger.None);
        await edge.app.StartAsync(TestContext.Current.CancellationToken);
        return edge;
    }

    public async Task PutAsync(EdgeRoute route)
    {
        using var response = await Admin.PutAsJsonAsync(EdgeAdminApi.Route(route.Environment), route, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async Task<EdgeRouteTable> TableAsync() =>
        (await Admin.GetFromJsonAsync<EdgeRouteTable>(EdgeAdminApi.Routes, TestContext.Current.CancellationToken))!;

    /// <summary>Stops the copy as SIGTERM would: listeners close, in-flight requests drain.</summary>
    public async Task StopAsync()
    {
        if (app is null) return;
        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
        app = null;
    }

    public static HttpClient AdminClient(string socket) => EdgeAdminApi.CreateClient(socket, TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Admin.Dispose();
    }
}
