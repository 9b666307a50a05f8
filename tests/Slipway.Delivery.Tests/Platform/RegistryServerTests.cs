using System.Net;
using System.Net.Sockets;
using System.Text;
using Slipway.Delivery.Platform;
using Slipway.Testing;

namespace Slipway.Delivery.Tests.Platform;

/// <summary>The registry server's refusals and no-ops, which start no registry (the real start is in <see cref="RegistryServerEngineTests"/>).</summary>
public sealed class RegistryServerTests
{
    internal static RegistryServer Server()
    {
        var host = new SystemHost();
        return new RegistryServer(host, new AptInstaller(host, TestLog.Create(), allowInstall: false), TestLog.Create());
    }

    [Fact]
    public async Task A_stale_pid_file_stops_nothing()
    {
        using var root = new TempDirectory();
        var directory = RegistryServer.DirectoryUnder(root.Path);
        Directory.CreateDirectory(directory);
        // Our own pid: alive, but not a registry serving this config.
        File.WriteAllText(Path.Combine(directory, "registry.pid"), Environment.ProcessId.ToString());

        Assert.False(await Server().StopAsync(root.Path, TestContext.Current.CancellationToken));
        Assert.False(File.Exists(Path.Combine(directory, "registry.pid")));
    }

    [Fact]
    public async Task A_port_held_by_another_HTTP_server_is_a_clear_error()
    {
        var ct = TestContext.Current.CancellationToken;
        using var root = new TempDirectory();
        var port = FreePort.Next();
        using var other = new HttpListener();
        other.Prefixes.Add($"http://127.0.0.1:{port}/");
        other.Start();
        var answering = Task.Run(async () =>
        {
            while (other.IsListening)
            {
                HttpListenerContext context;
                try { context = await other.GetContextAsync(); }
                catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException) { return; }
                try
                {
                    context.Response.StatusCode = 200;
                    await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes("hello, not a registry"), ct);
                    context.Response.Close();
                }
                catch (Exception exception) when (exception is HttpListenerException or IOException)
                {
                    // The probe may hang up once it has the status line (as a HEAD-like check does): that is no failure here.
                }
            }
        }, ct);

        var error = await Assert.ThrowsAsync<PlatformSetupException>(() => Server().EnsureAsync($"127.0.0.1:{port}", root.Path, ct));

        Assert.Contains($"Port {port}", error.Message);
        Assert.Contains("200", error.Message);
        Assert.Contains("--registry", error.Message);
        Assert.False(Directory.Exists(RegistryServer.DirectoryUnder(root.Path)));
        other.Stop();
        await answering;
    }

    [Fact]
    public async Task A_port_held_by_something_that_does_not_speak_HTTP_is_a_clear_error()
    {
        var ct = TestContext.Current.CancellationToken;
        using var root = new TempDirectory();
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var accepting = Task.Run(async () =>
        {
            // Accept and answer garbage, like a database or SSH server would.
            using var client = await silent.AcceptTcpClientAsync(ct);
            await client.GetStream().WriteAsync("SSH-2.0-OpenSSH_9.2\r\n"u8.ToArray(), ct);
            await Task.Delay(500, ct);
        }, ct);

        var error = await Assert.ThrowsAsync<PlatformSetupException>(() => Server().EnsureAsync($"127.0.0.1:{port}", root.Path, ct));

        Assert.Contains($"Port {port}", error.Message);
        Assert.Contains("--registry", error.Message);
        await accepting;
    }

    [Fact]
    public async Task Behind_the_edge_a_port_held_by_a_process_that_does_not_share_it_is_a_clear_error_and_nothing_starts()
    {
        var ct = TestContext.Current.CancellationToken;
        using var root = new TempDirectory();
        // A listener without SO_REUSEPORT, as any server but an edge copy: it holds the port alone, silently.
        using var stranger = new TcpListener(IPAddress.Loopback, 0);
        stranger.Start();
        var port = ((IPEndPoint)stranger.LocalEndpoint).Port;
        var host = new SystemHost();
        using var http = new HttpClient { Timeout = TimeSpan.FromMilliseconds(500) };
        var server = new RegistryServer(host, new AptInstaller(host, TestLog.Create(), allowInstall: false), TestLog.Create(), http);

        var error = await Assert.ThrowsAsync<PlatformSetupException>(() => server.EnsureAsync($"127.0.0.1:{port}", root.Path, RegistryExposure.BehindEdge, ct));

        Assert.Contains($"Port {port}", error.Message);
        Assert.Contains("did not start", error.Message);
        Assert.Contains("--registry", error.Message);
        Assert.False(Directory.Exists(RegistryServer.DirectoryUnder(root.Path)));
    }

    [Theory]
    [InlineData("localhost5000")]
    [InlineData("registry.example.com:5000")]
    [InlineData("127.0.0.1:99999")]
    [InlineData("10.1.2.3:5000")]
    public void A_bad_or_non_loopback_address_is_refused(string address)
    {
        var error = Assert.Throws<PlatformSetupException>(() => RegistryServer.ParseAddress(address));
        Assert.Contains(address, error.Message);
        Assert.Contains("127.0.0.1:5000", error.Message);
    }

    [Fact]
    public async Task Stop_without_a_pid_file_does_nothing()
    {
        using var root = new TempDirectory();
        Assert.False(await Server().StopAsync(root.Path, TestContext.Current.CancellationToken));
    }
}
