using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Slipway.Delivery.AgentApi;

namespace Slipway.Delivery.Tests.AgentApi;

/// <summary>Deploy's wait on the agent, against a real HTTP status endpoint on 127.0.0.1 that answers what the test sets.</summary>
public sealed class AgentClientWaitTests : IAsyncDisposable
{
    private const string Ours = "1111111111111111111111111111111111111111";
    private const string Later = "2222222222222222222222222222222222222222";
    private WebApplication? app;

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private async Task<AgentClient> AgentReportingAsync(string applied, EnvironmentHealth health)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        app = builder.Build();
        var status = new AgentStatus(applied, DateTimeOffset.UtcNow, null,
            [new EnvironmentStatus("staging", applied, applied, "sha256:" + new string('a', 64), 2, 2, health, null, 8081, null, null, null)]);
        app.MapGet("/status", () => Results.Json(status, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new AgentClient(new Uri(address + "/"));
    }

    [Fact]
    public async Task A_later_healthy_revision_that_contains_the_deploy_counts_as_applied()
    {
        using var agent = await AgentReportingAsync(Later, EnvironmentHealth.Healthy);
        var asked = new List<string>();

        var status = await agent.WaitForEnvironmentAsync("staging", Ours, TimeSpan.FromSeconds(30), cancellationToken: TestContext.Current.CancellationToken,
            contains: (applied, _) => { asked.Add(applied); return Task.FromResult(true); });

        Assert.Equal(Later, status.AppliedRevision);
        Assert.Equal([Later], asked);
    }

    [Fact]
    public async Task A_later_revision_that_does_not_contain_the_deploy_is_waited_past_until_the_timeout()
    {
        using var agent = await AgentReportingAsync(Later, EnvironmentHealth.Healthy);
        var asked = 0;

        var failure = await Assert.ThrowsAsync<AgentWaitException>(() => agent.WaitForEnvironmentAsync("staging", Ours, TimeSpan.FromSeconds(2),
            cancellationToken: TestContext.Current.CancellationToken, contains: (_, _) => { asked++; return Task.FromResult(false); }));

        Assert.Contains(Ours, failure.Message);
        Assert.Equal(1, asked);   // asked once per applied revision, not on every poll
    }

    [Fact]
    public async Task Without_a_containment_check_only_the_exact_revision_counts()
    {
        using var agent = await AgentReportingAsync(Later, EnvironmentHealth.Healthy);

        await Assert.ThrowsAsync<AgentWaitException>(() =>
            agent.WaitForEnvironmentAsync("staging", Ours, TimeSpan.FromSeconds(2), cancellationToken: TestContext.Current.CancellationToken));
    }
}
