using Slipway.Agent.Rollouts;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.Manifests;

namespace Slipway.Agent.Tests;

/// <summary>The gate webhooks against a real Kestrel endpoint on 127.0.0.1 answering 200, 500 or never.</summary>
public sealed class GateRunnerTests
{
    static readonly GatePayload Payload = new("production", "0123456789abcdef0123", "registry/beacon@sha256:new", "registry/beacon@sha256:old",
        "blue-green", "http://127.0.0.1:9080", 100);

    static async Task<IReadOnlyList<Delivery.AgentApi.GateResult>> RunAsync(params GateSpec[] gates)
    {
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        return await new GateRunner(http, TestLogger.Create("gates")).RunAsync(gates, Payload, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Gates_answering_2xx_pass_and_receive_the_rollout_as_json()
    {
        await using var server = await GateServer.StartAsync();
        var results = await RunAsync(
            new GateSpec { Name = "load-test", Url = server.Url("pass"), TimeoutSeconds = 5 },
            new GateSpec { Name = "migrations", Url = server.Url("pass?token=secret"), TimeoutSeconds = 5 });

        Assert.Equal(["load-test", "migrations"], results.Select(r => r.Name));
        Assert.All(results, r => Assert.True(r.Passed, r.Message));
        Assert.All(results, r => Assert.Equal(200, r.StatusCode));
        Assert.Equal(2, server.Calls.Count);
        var (path, body) = server.Calls.First();
        Assert.Equal("/pass", path);
        Assert.Equal("production", body.GetProperty("environment").GetString());
        Assert.Equal("0123456789abcdef0123", body.GetProperty("revision").GetString());
        Assert.Equal("registry/beacon@sha256:new", body.GetProperty("image").GetString());
        Assert.Equal("registry/beacon@sha256:old", body.GetProperty("stableImage").GetString());
        Assert.Equal("blue-green", body.GetProperty("strategy").GetString());
        Assert.Equal("http://127.0.0.1:9080", body.GetProperty("previewUrl").GetString());
        Assert.Equal(100, body.GetProperty("canaryWeight").GetInt32());
    }

    [Fact]
    public async Task A_gate_answering_500_fails_and_the_gates_after_it_are_not_called()
    {
        await using var server = await GateServer.StartAsync();
        var gates = new[]
        {
            new GateSpec { Name = "first", Url = server.Url("pass"), TimeoutSeconds = 5 },
            new GateSpec { Name = "load-test", Url = server.Url("fail"), TimeoutSeconds = 5 },
            new GateSpec { Name = "never-called", Url = server.Url("pass"), TimeoutSeconds = 5 },
        };
        var results = await RunAsync(gates);

        Assert.Equal(["first", "load-test"], results.Select(r => r.Name));
        Assert.True(results[0].Passed);
        Assert.False(results[1].Passed);
        Assert.Equal(500, results[1].StatusCode);
        Assert.Contains("p95 900 ms", results[1].Message, StringComparison.Ordinal);
        Assert.Equal(2, server.Calls.Count);
        Assert.False(GateRunner.AllPassed(gates, results));
    }

    [Fact]
    public async Task A_gate_that_never_answers_fails_at_its_timeout()
    {
        await using var server = await GateServer.StartAsync();
        var results = await RunAsync(new GateSpec { Name = "slow", Url = server.Url("never?token=secret"), TimeoutSeconds = 1 });

        var result = Assert.Single(results);
        Assert.False(result.Passed);
        Assert.Null(result.StatusCode);
        Assert.Contains("within its timeout of 1s", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gate_nobody_listens_on_fails_with_the_reason()
    {
        var results = await RunAsync(new GateSpec { Name = "gone", Url = $"http://127.0.0.1:{Slipway.Testing.FreePort.Next()}/gate", TimeoutSeconds = 5 });

        var result = Assert.Single(results);
        Assert.False(result.Passed);
        Assert.Null(result.StatusCode);
        Assert.StartsWith("could not call http://127.0.0.1:", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_gates_pass_trivially()
    {
        var results = await RunAsync();
        Assert.Empty(results);
        Assert.True(GateRunner.AllPassed([], results));
    }
}
