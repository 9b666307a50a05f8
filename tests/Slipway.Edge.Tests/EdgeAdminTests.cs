using System.Net;
using System.Net.Http.Json;
using Slipway.Edge.Contract;
using Slipway.Edge.Tests.Infrastructure;
using Slipway.Testing;

namespace Slipway.Edge.Tests;

/// <summary>
/// The edge as the agent sees it, in-process over a temporary state directory: the admin API on its private unix
/// socket, the table saved atomically and served again by a restarted copy, and the handover from one copy to the
/// next (both on the same port through SO_REUSEPORT) without a failed request.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class EdgeAdminTests : IAsyncLifetime
{
    readonly string stateDirectory = Directory.CreateTempSubdirectory("slipway-edge-test-").FullName;
    readonly Backends backends = new();
    readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };
    readonly int port = FreePort.Next();
    readonly List<EdgeUnderTest> edges = [];
    EdgeDestination replica = null!;

    public async ValueTask InitializeAsync() => replica = await backends.StartAsync("replica");

    async Task<EdgeUnderTest> StartEdgeAsync(string name = "blue")
    {
        var edge = await EdgeUnderTest.StartAsync(stateDirectory, name);
        edges.Add(edge);
        return edge;
    }

    async Task<string> ServedAsync() => await http.GetStringAsync($"http://127.0.0.1:{port}/", TestContext.Current.CancellationToken);

    [Fact]
    public async Task A_route_set_through_the_admin_socket_is_served_saved_and_served_again_by_a_restarted_edge()
    {
        var edge = await StartEdgeAsync();
        await edge.PutAsync(Backends.Route("staging", port, [replica]));
        Assert.Equal("replica", await ServedAsync());

        var saved = System.Text.Json.JsonSerializer.Deserialize<EdgeRouteTable>(await File.ReadAllTextAsync(Path.Combine(stateDirectory, "routes.json"),
            TestContext.Current.CancellationToken), State.RouteTableFile.Json)!;
        Assert.Equal(port, Assert.Single(saved.Routes).Port);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(stateDirectory, "admin-blue.sock")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(stateDirectory));

        await edge.StopAsync();
        await Assert.ThrowsAsync<HttpRequestException>(ServedAsync);
        var restarted = await StartEdgeAsync();
        Assert.Equal("replica", await ServedAsync());
        Assert.Equal("staging", Assert.Single((await restarted.TableAsync()).Routes).Environment);
    }

    [Fact]
    public async Task A_bad_route_or_a_taken_port_is_refused_with_the_reason_and_the_table_keeps_its_last_good_state()
    {
        var edge = await StartEdgeAsync();
        await edge.PutAsync(Backends.Route("staging", port, [replica]));

        using var invalid = await edge.Admin.PutAsJsonAsync(EdgeAdminApi.Route("production"),
            Backends.Route("production", FreePort.Next(), [replica]) with { CanaryWeight = 101 }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("percentage", await invalid.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);

        using var taken = await edge.Admin.PutAsJsonAsync(EdgeAdminApi.Route("production"), Backends.Route("production", port, [replica]),
            TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Contains("slipway.dev/host-port", await taken.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);

        Assert.Equal(["staging"], (await edge.TableAsync()).Routes.Select(r => r.Environment));
        Assert.Equal("replica", await ServedAsync());
    }

    [Fact]
    public async Task A_new_copy_takes_the_port_and_the_admin_socket_before_the_old_one_drains_and_no_request_fails()
    {
        var blue = await StartEdgeAsync("blue");
        await blue.PutAsync(Backends.Route("production", port, [replica]));
        await using var load = new Load(port);
        await load.RunForAsync(300);

        var green = await StartEdgeAsync("green");
        await load.RunForAsync(300);
        // The client's pooled connection still reaches blue, which refuses and closes it; the next connection reaches green.
        using (var stale = await blue.Admin.PutAsJsonAsync(EdgeAdminApi.Route("production"), Backends.Route("production", port, [replica]),
                   TestContext.Current.CancellationToken))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, stale.StatusCode);
        using (var fresh = await blue.Admin.PutAsJsonAsync(EdgeAdminApi.Route("production"), Backends.Route("production", port, [replica]),
                   TestContext.Current.CancellationToken))
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.Equal("green", Path.GetFileNameWithoutExtension(new FileInfo(Path.Combine(stateDirectory, "admin.sock")).LinkTarget)![6..]);
        await blue.StopAsync();
        await load.RunForAsync(500);

        Assert.True(load.Failed == 0, $"{load.Failed} of {load.Total} requests failed during the handover (first: {load.FirstFailure})");
        Assert.Equal("production", Assert.Single((await green.TableAsync()).Routes).Environment);
    }

    [Fact]
    public async Task A_copy_that_handed_over_refuses_changes_so_none_is_lost()
    {
        var blue = await StartEdgeAsync("blue");
        using var blueOwn = EdgeUnderTest.AdminClient(Path.Combine(stateDirectory, "admin-blue.sock"));
        await StartEdgeAsync("green");

        using var refused = await blueOwn.PutAsJsonAsync(EdgeAdminApi.Route("staging"), Backends.Route("staging", port, [replica]), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Empty((await blue.TableAsync()).Routes); // blue.Admin goes through admin.sock: green answers
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var edge in edges) await edge.DisposeAsync();
        await backends.DisposeAsync();
        http.Dispose();
        Directory.Delete(stateDirectory, recursive: true);
    }
}
