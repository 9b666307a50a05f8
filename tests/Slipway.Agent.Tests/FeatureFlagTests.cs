using System.Net.Http.Json;
using System.Text.Json;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.ConfigRepo;
using Slipway.Testing;

namespace Slipway.Agent.Tests;

/// <summary>
/// SetFlag end to end on the real Docker engine: the flag commit goes to the config repo, the agent applies the changed
/// ConfigMap, and the running Beacon replicas reload it without a restart and split users by their stable key.
/// </summary>
[Trait("Tier", "Engine")]
public sealed class FeatureFlagTests(BeaconImages images) : IAsyncLifetime
{
    public ValueTask InitializeAsync() => images.EnsureBuiltAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    const int Users = 200;

    [Fact]
    public async Task A_SetFlag_variant_split_reaches_the_running_replicas_without_a_restart()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var agent = await AgentUnderTest.CreateAsync();
        var work = Directory.CreateTempSubdirectory("slipway-setflag-e2e-").FullName;
        try
        {
            var log = TestLogger.Create("setflag");
            var repository = new ConfigRepository(new ConfigRepositoryOptions { Url = agent.Repo.Bare, WorkDirectory = Path.Combine(work, "clone") }, log);
            var port = FreePort.Next();
            var rendered = TestConfigRepo.Render("staging", images.ImageA, replicas: 2, hostPort: port, audience: "flags");
            var deployed = await new GitOpsCommitter(repository, log).CommitEnvironmentAsync(rendered,
                new DeploymentTrailers("staging", rendered.Image.ToString(), "0123456789abcdef0123456789abcdef01234567", DateTimeOffset.UtcNow, "e2e-deploy"),
                cancellation);
            await agent.StartAsync();
            await agent.WaitForAsync("staging", deployed.Sha);
            Assert.Null(await VariantAsync(agent, port, "user-0"));   // deploy/ declares Greeting.Style off
            var started = await StartTimesAsync(agent);

            var flagged = await new FlagCommitter(repository, log)
                .SetFlagAsync("staging", "Greeting.Style", "Formal=70,Casual=30", "e2e-flag", cancellationToken: cancellation);
            var applied = await agent.WaitForAsync("staging", flagged.Sha);

            // Every user gets the variant its percentile gives, from every replica (the router round-robins), once each has reloaded.
            var expected = Enumerable.Range(0, Users).ToDictionary(i => $"user-{i}", string? (i) => Percentile($"user-{i}") < 70 ? "Formal" : "Casual");
            await AgentUnderTest.EventuallyAsync(() => AnswersAsync(agent, port, expected.Keys),
                answers => expected.All(pair => answers[pair.Key] == pair.Value), "every replica splits users as the SetFlag commit says", seconds: 60);
            for (var round = 0; round < 3; round++)
                Assert.Equal(expected, await AnswersAsync(agent, port, expected.Keys));   // stable per user, whichever replica answers
            Assert.InRange(expected.Values.Count(variant => variant == "Formal"), 110, 170);   // sanity of the sample: 70% of 200 ± 5σ
            Assert.Equal(applied.ConfigHash, (await agent.VersionAsync(port)).ConfigHash);
            Assert.Equal(started, await StartTimesAsync(agent));   // reloaded, not restarted
        }
        finally
        {
            foreach (var file in Directory.EnumerateFiles(work, "*", SearchOption.AllDirectories)) File.SetAttributes(file, FileAttributes.Normal);
            Directory.Delete(work, recursive: true);
        }
    }

    static async Task<string?> VariantAsync(AgentUnderTest agent, int port, string user)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/api/greeting");
        request.Headers.Add("X-User-Id", user);
        using var response = await agent.Http.SendAsync(request, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        return body.GetProperty("variant").ValueKind == JsonValueKind.String ? body.GetProperty("variant").GetString() : null;
    }

    static async Task<Dictionary<string, string?>> AnswersAsync(AgentUnderTest agent, int port, IEnumerable<string> users)
    {
        var answers = new Dictionary<string, string?>();
        foreach (var user in users) answers[user] = await VariantAsync(agent, port, user);
        return answers;
    }

    /// <summary>Microsoft.FeatureManagement's allocation percentile of a user for Greeting.Style (no seed declared).</summary>
    static double Percentile(string user)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{user}\nallocation\nGreeting.Style"));
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(hash) / (double)uint.MaxValue * 100;
    }

    /// <summary>Container id -> start time: a restart changes it.</summary>
    static async Task<Dictionary<string, string>> StartTimesAsync(AgentUnderTest agent)
    {
        var times = new Dictionary<string, string>();
        foreach (var container in await agent.ContainersAsync("staging"))
            times[container.ID] = (await agent.Docker.Containers.InspectContainerAsync(container.ID, TestContext.Current.CancellationToken)).State?.StartedAt ?? "";
        return times;
    }
}
