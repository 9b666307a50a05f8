using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Slipway.Agent.Api;
using Slipway.Agent.Tests.Fakes;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;

namespace Slipway.Agent.Tests;

/// <summary>
/// The agent API's locks, on the whole in-process agent over the Kubernetes API SIMULATION: a foreign Host gets 421, POST
/// /sync needs the operator token, a webhook delivery is taken once and a declared oversized body is refused unread; after
/// every refusal the environment still runs its revision.
/// </summary>
public sealed class AgentApiSecurityTests : IAsyncLifetime
{
    const string Environment = "staging";
    const string OperatorToken = "operator-token-for-tests";
    const string WebhookSecret = "webhook-secret-for-tests";
    static readonly string Image = "127.0.0.1:5000/beacon@sha256:" + new string('a', 64);
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    readonly HttpClient http = new();
    SimulatedEnvironment env = null!;
    string revision = "";

    public async ValueTask InitializeAsync()
    {
        env = await SimulatedEnvironment.CreateAsync("slipway-agent-api-");
        revision = await env.Repo.CommitAsync(Environment, Image, replicas: 1, hostPort: 8081);
        // In-process configuration keys, as the environment variables SLIPWAY_AGENT_OPERATOR_TOKEN / _WEBHOOK_SECRET give them.
        await env.StartAgentAsync("api-agent", FakeImageVerification.SigningEverything(),
            ["--Agent:OperatorToken", OperatorToken, "--Agent:WebhookSecret", WebhookSecret]);
        await AssertStillServingAsync();
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await env.DisposeAsync();
    }

    async Task AssertStillServingAsync()
    {
        await env.WaitForAsync(s => s is { Health: EnvironmentHealth.Healthy } && s.AppliedRevision == revision, "staging runs its revision healthy");
        Assert.Equal(Image, await env.RunningImageAsync());
    }

    async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? host = null, string? bearer = null, HttpContent? content = null,
        IReadOnlyDictionary<string, string>? headers = null)
    {
        var request = new HttpRequestMessage(method, new Uri(env.Status.BaseAddress, path)) { Content = content };
        if (host is not null) request.Headers.Host = host;
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>()) request.Headers.Add(name, value);
        return await http.SendAsync(request, Ct);
    }

    [Theory]
    [InlineData("attacker.example")]
    [InlineData("attacker.example:8090")]
    [InlineData("127.0.0.1")]
    [InlineData("localhost:1")]
    public async Task A_foreign_host_gets_421_and_the_loopback_names_are_served(string host)
    {
        using (var foreign = await SendAsync(HttpMethod.Get, "status", host))
            Assert.Equal(HttpStatusCode.MisdirectedRequest, foreign.StatusCode);
        using (var foreignSync = await SendAsync(HttpMethod.Post, "sync", host, OperatorToken))
            Assert.Equal(HttpStatusCode.MisdirectedRequest, foreignSync.StatusCode);

        using (var loopback = await SendAsync(HttpMethod.Get, "status", $"127.0.0.1:{env.Status.BaseAddress.Port}"))
            Assert.Equal(HttpStatusCode.OK, loopback.StatusCode);
        using (var localhost = await SendAsync(HttpMethod.Get, "status", $"localhost:{env.Status.BaseAddress.Port}"))
            Assert.Equal(HttpStatusCode.OK, localhost.StatusCode);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Sync_needs_the_operator_token()
    {
        using (var anonymous = await SendAsync(HttpMethod.Post, "sync"))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using (var wrong = await SendAsync(HttpMethod.Post, "sync", bearer: "not-the-token"))
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        using var wrongClient = new AgentClient(env.Status.BaseAddress) { OperatorToken = "not-the-token" };
        await Assert.ThrowsAsync<AgentOperatorTokenRejectedException>(() => wrongClient.RequestSyncAsync(Ct));
        await AssertStillServingAsync();

        using var operatorClient = new AgentClient(env.Status.BaseAddress) { OperatorToken = OperatorToken };
        await operatorClient.RequestSyncAsync(Ct);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task No_cross_origin_header_is_ever_sent()
    {
        using var response = await SendAsync(HttpMethod.Options, "sync", headers: new Dictionary<string, string>
        {
            ["Origin"] = "http://attacker.example", ["Access-Control-Request-Method"] = "POST",
        });
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        using var preflighted = await SendAsync(HttpMethod.Post, "sync", headers: new Dictionary<string, string> { ["Origin"] = "http://attacker.example" });
        Assert.Equal(HttpStatusCode.Unauthorized, preflighted.StatusCode);
        Assert.False(preflighted.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task A_webhook_delivery_is_taken_once()
    {
        var body = Encoding.UTF8.GetBytes("""{"ref":"refs/heads/main"}""");
        Task<HttpResponseMessage> DeliverAsync(string? delivery) => SendAsync(HttpMethod.Post, "hooks/git", content: new ByteArrayContent(body),
            headers: new Dictionary<string, string>(delivery is null ? [] : [new("X-GitHub-Delivery", delivery)])
            {
                [WebhookSignature.HeaderName] = WebhookSignature.Compute(WebhookSecret, body),
            });

        var delivery = Guid.NewGuid().ToString();
        using (var first = await DeliverAsync(delivery)) Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        using (var replay = await DeliverAsync(delivery))
        {
            Assert.Equal(HttpStatusCode.Conflict, replay.StatusCode);
            Assert.Contains("already received", await replay.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
        using (var anonymousId = await DeliverAsync(null)) Assert.Equal(HttpStatusCode.BadRequest, anonymousId.StatusCode);
        using (var another = await DeliverAsync(Guid.NewGuid().ToString())) Assert.Equal(HttpStatusCode.Accepted, another.StatusCode);
        await env.Status.TriggerSyncAsync(WebhookSecret, Ct);   // the build's client gives each delivery its own id
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task An_oversized_webhook_is_refused_by_its_declared_length_before_its_body_is_read()
    {
        // Declares more than the limit but sends two bytes: were the body awaited, the request would hang instead.
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, env.Status.BaseAddress.Port, Ct);
        var stream = socket.GetStream();
        var head = $"POST /hooks/git HTTP/1.1\r\nHost: 127.0.0.1:{env.Status.BaseAddress.Port}\r\nContent-Length: {AgentEndpoints.MaxWebhookBody + 1}\r\n\r\n{{}}";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), Ct);
        var buffer = new byte[256];
        var read = await stream.ReadAsync(buffer, Ct);
        Assert.StartsWith("HTTP/1.1 413", Encoding.ASCII.GetString(buffer, 0, read), StringComparison.Ordinal);

        using var whole = await SendAsync(HttpMethod.Post, "hooks/git", content: new ByteArrayContent(new byte[AgentEndpoints.MaxWebhookBody + 1]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, whole.StatusCode);
        await AssertStillServingAsync();
    }

    [Fact]
    public void The_delivery_memory_is_bounded_and_forgets_the_oldest()
    {
        var deliveries = new WebhookDeliveries();
        Assert.True(deliveries.TryRecord("first"));
        for (var i = 0; i < WebhookDeliveries.Capacity; i++) Assert.True(deliveries.TryRecord($"delivery-{i}"));
        Assert.False(deliveries.TryRecord($"delivery-{WebhookDeliveries.Capacity - 1}"));
        Assert.True(deliveries.TryRecord("first"));   // forgotten: the oldest leave once the capacity is reached
    }
}
