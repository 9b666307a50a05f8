using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Slipway.Delivery.Platform;
using Slipway.Delivery.Registry;
using Slipway.Testing;

namespace Slipway.Delivery.Tests.Platform;

/// <summary>
/// The embedded registry on the real docker-registry binary: anonymous pushes and reads get 401, the credentials of its
/// config.json push, nothing is deleted, and a registry the platform did not start is reported, never reused.
/// </summary>
[Trait("Tier", "Engine")]
public sealed class RegistryLockEngineTests
{
    [Fact]
    public async Task Anonymous_pushes_get_401_the_platform_credentials_push_and_deletes_are_refused()
    {
        var ct = TestContext.Current.CancellationToken;
        using var root = new TempDirectory();
        var address = $"127.0.0.1:{FreePort.Next()}";
        var server = RegistryServerTests.Server();
        using var http = new HttpClient();
        try
        {
            Assert.True((await server.EnsureAsync(address, root.Path, ct)).Started);
            var blob = RandomNumberGenerator.GetBytes(64);
            var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(blob));
            var upload = new Uri($"http://{address}/v2/lock-test/blobs/uploads/?digest={digest}");

            using (var anonymous = await http.PostAsync(upload, new ByteArrayContent(blob), ct))
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            using (var anonymousRead = await http.GetAsync($"http://{address}/v2/_catalog", ct))
                Assert.Equal(HttpStatusCode.Unauthorized, anonymousRead.StatusCode);

            var credentials = DockerConfigCredentials.Find(address, RegistryAuthFiles.Under(root.Path).DockerConfig)!;
            var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}")));
            using (var wrong = new HttpRequestMessage(HttpMethod.Post, upload) { Content = new ByteArrayContent(blob) })
            {
                wrong.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("slipway:guess"u8.ToArray()));
                using var refused = await http.SendAsync(wrong, ct);
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            }
            Uri location;
            using (var start = new HttpRequestMessage(HttpMethod.Post, new Uri($"http://{address}/v2/lock-test/blobs/uploads/")))
            {
                start.Headers.Authorization = basic;
                using var started = await http.SendAsync(start, ct);
                Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
                location = new Uri(new Uri($"http://{address}/"), started.Headers.Location!);
            }
            var separator = location.Query.Length > 0 ? "&" : "?";
            using (var push = new HttpRequestMessage(HttpMethod.Put, new Uri($"{location}{separator}digest={digest}")) { Content = new ByteArrayContent(blob) })
            {
                push.Headers.Authorization = basic;
                using var pushed = await http.SendAsync(push, ct);
                Assert.Equal(HttpStatusCode.Created, pushed.StatusCode);
            }
            var blobUri = new Uri($"http://{address}/v2/lock-test/blobs/{digest}");
            using (var delete = new HttpRequestMessage(HttpMethod.Delete, blobUri))
            {
                delete.Headers.Authorization = basic;
                using var refused = await http.SendAsync(delete, ct);
                Assert.Equal(HttpStatusCode.MethodNotAllowed, refused.StatusCode);
            }
            using (var read = new HttpRequestMessage(HttpMethod.Get, blobUri))
            {
                read.Headers.Authorization = basic;
                using var kept = await http.SendAsync(read, ct);
                Assert.Equal(blob, await kept.Content.ReadAsByteArrayAsync(ct));
            }
            Assert.False((await server.EnsureAsync(address, root.Path, ct)).Started);   // ours: reused
        }
        finally
        {
            await server.StopAsync(root.Path, CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_registry_this_platform_did_not_start_is_reported_not_reused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stranger = await RegistryFixture.StartAsync();
        using var root = new TempDirectory();

        var error = await Assert.ThrowsAsync<PlatformSetupException>(() => RegistryServerTests.Server().EnsureAsync(stranger.Host, root.Path, ct));

        Assert.Contains($"Port {stranger.Port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("not reused", error.Message, StringComparison.Ordinal);
        Assert.Contains("--registry", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(RegistryAuthFiles.Under(root.Path).DockerConfig));
    }
}
