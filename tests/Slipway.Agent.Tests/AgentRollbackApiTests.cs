using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Slipway.Agent.Tests.Fakes;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.Promotion;

namespace Slipway.Agent.Tests;

/// <summary>
/// POST /environments/{env}/rollback on the whole in-process agent over the Kubernetes API SIMULATION: it needs the
/// operator token, refuses a bad request or an unknown environment before reading anything, names what it cannot roll
/// back, and otherwise commits the rollback from the agent's clone and applies it (no revision is kept warm on a
/// cluster, so the commit goes first there).
/// </summary>
public sealed class AgentRollbackApiTests : IAsyncLifetime
{
    const string Environment = SimulatedEnvironment.Name;
    const string OperatorToken = "operator-token-for-tests";
    static readonly string ImageA = "127.0.0.1:5000/beacon@sha256:" + new string('a', 64);
    static readonly string ImageB = "127.0.0.1:5000/beacon@sha256:" + new string('b', 64);
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    readonly HttpClient http = new();
    SimulatedEnvironment env = null!;
    string bad = "";

    public async ValueTask InitializeAsync()
    {
        env = await SimulatedEnvironment.CreateAsync("slipway-agent-rollback-api-");
        await DeployAsync(ImageA, 1);
        bad = await DeployAsync(ImageB, 2);
        await env.StartAgentAsync("rollback-api-agent", FakeImageVerification.SigningEverything(), ["--Agent:OperatorToken", OperatorToken]);
        await env.WaitForAsync(s => s.AppliedRevision == bad, "staging runs the second deploy");
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await env.DisposeAsync();
    }

    Task<string> DeployAsync(string image, int run) =>
        env.Repo.CommitFilesAsync(Environment, TestConfigRepo.Render(Environment, image, 1, 8081, "tests").Files,
            TestConfigRepo.DeployMessage(Environment, image, $"deploy-{run}"));

    async Task<HttpStatusCode> PostAsync(string path, string json, string? bearer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(env.Status.BaseAddress, path))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await http.SendAsync(request, Ct);
        return response.StatusCode;
    }

    [Fact]
    public async Task A_rollback_needs_the_operator_token_and_a_well_formed_request_and_names_what_it_refuses()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync($"environments/{Environment}/rollback", """{"run":"rollback-1"}""", bearer: null));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync($"environments/{Environment}/rollback", """{"run":"rollback-1"}""", "not-the-token"));
        // The run id becomes a commit trailer: a line break in it would forge another trailer.
        Assert.Equal(HttpStatusCode.BadRequest,
            await PostAsync($"environments/{Environment}/rollback", """{"run":"x\nSlipway-Rollback-Of: 0000000"}""", OperatorToken));
        Assert.Equal(HttpStatusCode.NotFound, await PostAsync("environments/elsewhere/rollback", """{"run":"rollback-1"}""", OperatorToken));
        using var client = new AgentClient(env.Status.BaseAddress) { OperatorToken = OperatorToken };
        var refused = await Assert.ThrowsAsync<RollbackRefusedException>(() => client.RollBackAsync(Environment, "0000000", "rollback-1", Ct));
        Assert.Contains("'0000000' is no config revision", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<AgentRollbackUnsupportedException>(() => client.RollBackAsync("elsewhere", null, "rollback-1", Ct));

        Assert.Equal(bad, (await env.Repo.HeadAsync(Environment)).Sha);
        Assert.Equal(ImageB, await env.RunningImageAsync());
    }

    [Fact]
    public async Task The_agent_commits_the_rollback_from_its_own_clone_and_applies_it()
    {
        using var client = new AgentClient(env.Status.BaseAddress) { OperatorToken = OperatorToken };

        var answer = await client.RollBackAsync(Environment, null, "rollback-1", Ct);

        Assert.Null(answer.SwitchedAt);
        Assert.Equal((bad, ImageA, ImageB, true), (answer.RolledBackCommit, answer.PreviousImage, answer.ReplacedImage, answer.Changed));
        var head = await env.Repo.HeadAsync(Environment);
        Assert.Equal(answer.Commit, head.Sha);
        Assert.Contains($"Slipway-Rollback-Of: {bad}", head.Message, StringComparison.Ordinal);
        Assert.Contains("Slipway-Run: rollback-1", head.Message, StringComparison.Ordinal);
        await env.WaitForAsync(s => s.AppliedRevision == answer.Commit, "staging runs the rollback");
        Assert.Equal(ImageA, await env.RunningImageAsync());
    }
}
