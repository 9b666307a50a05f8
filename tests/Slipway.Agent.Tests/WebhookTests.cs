using System.Net;
using System.Text;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;
using Slipway.Testing;

namespace Slipway.Agent.Tests;

/// <summary>POST /hooks/git: GitHub's HMAC signature or 401, and a signed hook syncs at once.</summary>
[Trait("Tier", "Engine")]
public sealed class WebhookTests(BeaconImages images) : IAsyncLifetime
{
    public ValueTask InitializeAsync() => images.EnsureBuiltAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_signed_webhook_syncs_at_once_and_an_unsigned_or_wrongly_signed_one_is_rejected()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        var first = await agent.Repo.CommitAsync("staging", images.ImageA, replicas: 1, hostPort: port);
        await agent.StartAsync(interval: TimeSpan.FromHours(1));
        await agent.WaitForAsync("staging", first);
        var second = await agent.Repo.CommitAsync("staging", images.ImageB, replicas: 1, hostPort: port);

        var body = Encoding.UTF8.GetBytes("""{"ref":"refs/heads/main"}""");
        var hook = new Uri($"http://127.0.0.1:{agent.ApiPort}/hooks/git");
        async Task<HttpStatusCode> PostAsync(string? signature)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, hook) { Content = new ByteArrayContent(body) };
            if (signature is not null) request.Headers.Add(WebhookSignature.HeaderName, signature);
            request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
            using var response = await agent.Http.SendAsync(request, TestContext.Current.CancellationToken);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(null));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(WebhookSignature.Compute("another secret", body)));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync("sha256=not-hex"));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(WebhookSignature.Compute(AgentUnderTest.Secret, body).Replace("sha256=", "sha1=")));
        await Assert.ThrowsAsync<AgentWebhookRejectedException>(() => agent.Client.TriggerSyncAsync("wrong", TestContext.Current.CancellationToken));
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        var untouched = (await agent.Client.GetStatusAsync(TestContext.Current.CancellationToken)).Find("staging")!;
        Assert.Equal((first, first), (untouched.DesiredRevision, untouched.AppliedRevision));

        Assert.Equal(HttpStatusCode.Accepted, await PostAsync(WebhookSignature.Compute(AgentUnderTest.Secret, body)));
        var synced = await agent.WaitForAsync("staging", second);
        Assert.Equal(images.ImageB.Split('@')[1], synced.ImageDigest);
    }
}
