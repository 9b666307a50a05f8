using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Slipway.Edge.Tests.Infrastructure;
using Slipway.Testing;

namespace Slipway.Edge.Tests;

/// <summary>
/// The edge's registry front, in-process: what it forwards to the registry's unix socket and what it refuses. The
/// registry here is a Kestrel stand-in that reports what reached it; the real docker-registry behind a real edge is the
/// supervised platform's registry drill (engine tier).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class RegistryFrontTests : IAsyncLifetime
{
    readonly string stateDirectory = Directory.CreateTempSubdirectory("slipway-edge-test-").FullName;
    readonly int port = FreePort.Next();
    readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };
    readonly List<EdgeUnderTest> edges = [];
    WebApplication registry = null!;
    string Socket => Path.Combine(stateDirectory, "registry.sock");
    string Url => $"http://127.0.0.1:{port}";
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Answers with the Host it was sent, the path and query, and how many body bytes arrived, as a registry's upload URLs would depend on them.</summary>
    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ListenUnixSocket(Socket);
            kestrel.Limits.MaxRequestBodySize = null;
        });
        registry = builder.Build();
        registry.Run(async context =>
        {
            var received = 0L;
            var buffer = new byte[81920];
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0) received += read;
            context.Response.Headers["Docker-Distribution-Api-Version"] = "registry/2.0";
            await context.Response.WriteAsync($"{context.Request.Method} {context.Request.Host} {context.Request.Path}{context.Request.QueryString} {received}");
        });
        await registry.StartAsync(Ct);
    }

    async Task<EdgeUnderTest> StartEdgeAsync(string name = "blue")
    {
        var edge = await EdgeUnderTest.StartAsync(stateDirectory, name, extraArguments: ["--registry-front", $"127.0.0.1:{port}", "--registry-socket", Socket]);
        edges.Add(edge);
        return edge;
    }

    [Fact]
    public async Task Forwards_to_the_registry_socket_with_the_Host_the_client_named_and_bodies_of_any_size()
    {
        await StartEdgeAsync();

        Assert.Equal($"GET 127.0.0.1:{port} /v2/ 0", await http.GetStringAsync($"{Url}/v2/", Ct));
        Assert.Equal($"GET localhost:{port} /v2/ 0", await http.GetStringAsync($"http://localhost:{port}/v2/", Ct));
        // A layer bigger than Kestrel's default 30 MB request limit.
        var layer = new byte[40 * 1024 * 1024];
        using var upload = await http.PutAsync($"{Url}/v2/beacon/blobs/uploads/42?digest=sha256:ab", new ByteArrayContent(layer), Ct);
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        Assert.Equal($"PUT 127.0.0.1:{port} /v2/beacon/blobs/uploads/42?digest=sha256:ab {layer.Length}", await upload.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task A_foreign_Host_gets_421_and_never_reaches_the_registry()
    {
        await StartEdgeAsync();
        using var rebound = new HttpRequestMessage(HttpMethod.Get, $"{Url}/v2/") { Headers = { Host = "rebound.example" } };
        using var response = await http.SendAsync(rebound, Ct);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);
        Assert.False(response.Headers.Contains("Docker-Distribution-Api-Version"));
    }

    [Fact]
    public async Task An_upgraded_copy_takes_the_registry_port_over_and_the_old_one_stops_without_a_gap()
    {
        var blue = await StartEdgeAsync("blue");
        var green = await StartEdgeAsync("green");
        await blue.StopAsync();
        Assert.StartsWith("GET ", await http.GetStringAsync($"{Url}/v2/", Ct));
        await green.StopAsync();
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync($"{Url}/v2/", Ct));
    }

    [Fact]
    public async Task A_port_held_by_another_process_leaves_the_environments_served_and_the_front_absent()
    {
        using var stranger = new System.Net.Sockets.TcpListener(IPAddress.Loopback, port);
        stranger.Start();
        var edge = await StartEdgeAsync();
        await edge.PutAsync(Backends.Route("staging", FreePort.Next(), []));
        Assert.Single((await edge.TableAsync()).Routes);
    }

    [Theory]
    [InlineData(new[] { "--registry-front", "127.0.0.1:5000" }, "go together")]
    [InlineData(new[] { "--registry-socket", "/tmp/r.sock" }, "go together")]
    [InlineData(new[] { "--registry-front", "10.1.2.3:5000", "--registry-socket", "/tmp/r.sock" }, "not a loopback host:port")]
    [InlineData(new[] { "--registry-front", "127.0.0.1", "--registry-socket", "/tmp/r.sock" }, "not a loopback host:port")]
    public void Registry_front_options_are_checked(string[] arguments, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => EdgeHost.Build(["--state-dir", stateDirectory, .. arguments], Serilog.Core.Logger.None));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var edge in edges) await edge.DisposeAsync();
        await registry.DisposeAsync();
        http.Dispose();
        Directory.Delete(stateDirectory, recursive: true);
    }
}
