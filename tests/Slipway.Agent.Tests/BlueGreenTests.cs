using System.Collections.Concurrent;
using System.Diagnostics;
using Slipway.Agent.Backends.Docker;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;
using Slipway.Testing;

namespace Slipway.Agent.Tests;

/// <summary>
/// Blue-green on the Docker backend against the real engine and a real config repo: the switch and the switch-back
/// under constant load, a preview failing its smoke check, a gate answering 500 — the last two rolled back in Git.
/// </summary>
[Trait("Tier", "Engine")]
public sealed class BlueGreenTests(BeaconImages images) : IAsyncLifetime
{
    public ValueTask InitializeAsync() => images.EnsureBuiltAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    const string Environment = "staging";

    static string Strategy(int previewPort, int keepWarmSeconds, string? gateUrl = null) =>
        $"""
          type: blue-green
          blueGreen:
            previewPort: {previewPort}
            keepWarmSeconds: {keepWarmSeconds}
        """ + (gateUrl is null ? "" : $"""

          gates:
            - name: load-test
              url: {gateUrl}
              timeoutSeconds: 10
        """);

    /// <summary>Commits the rendered environment with the trailers GitOpsCommit writes; <paramref name="tamper"/> edits the files first.</summary>
    static Task<string> DeployAsync(AgentUnderTest agent, string image, int hostPort, string strategy,
        Func<IReadOnlyDictionary<string, string>, IReadOnlyDictionary<string, string>>? tamper = null)
    {
        var files = TestConfigRepo.Render(Environment, image, replicas: 2, hostPort, "tests", strategy).Files;
        return agent.Repo.CommitFilesAsync(Environment, tamper is null ? files : tamper(files), $"""
            Deploy {image} to {Environment}

            Slipway-Environment: {Environment}
            Slipway-Image: {image}
            Slipway-Source-Commit: 0123456789abcdef0123456789abcdef01234567
            Slipway-Source-Time: 2026-11-28T10:00:00+00:00
            Slipway-Run: blue-green-test
            """);
    }

    static string DigestOf(string image) => image.Split('@')[1];

    [Fact]
    public async Task A_switch_and_a_switch_back_under_constant_load_lose_no_request()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        var strategy = Strategy(FreePort.Next(), keepWarmSeconds: 30);
        await agent.StartAsync();
        await agent.WaitForAsync(Environment, await DeployAsync(agent, images.ImageA, port, strategy));

        await using var load = LoadGenerator.Start($"http://127.0.0.1:{port}/api/greeting");
        await AgentUnderTest.EventuallyAsync(() => Task.FromResult(load.Total), n => n >= 50, "the load generator is running", seconds: 30);

        // The switch: from the commit to every answer through the environment's port coming from the new colour.
        var clock = Stopwatch.StartNew();
        var next = await DeployAsync(agent, images.ImageB, port, strategy);
        await AllTrafficOnAsync(agent, port, DigestOf(images.ImageB));
        var switchTime = clock.Elapsed;
        var switched = await agent.WaitForAsync(Environment, next);
        var rollout = Assert.IsType<RolloutStatus>(switched.Rollout);
        Assert.Equal(("blue-green", RolloutPhase.Succeeded, next), (rollout.Strategy, rollout.Phase, rollout.Revision));
        Assert.Equal((DigestOf(images.ImageB), DigestOf(images.ImageA)), (rollout.ImageDigest, rollout.StableImageDigest));
        Assert.Equal(100, rollout.CanaryWeight);
        // The old colour keeps running, out of traffic, for a switch-back.
        var both = (await agent.ContainersAsync(Environment)).Where(c => c.State == "running").ToList();
        Assert.Equal(4, both.Count);
        Assert.Equal(new[] { "blue", "green" }, both.Select(c => c.Labels[BlueGreenRollout.ColourLabel]).Distinct().Order());
        Assert.Equal(2, both.Count(c => c.Image == images.ImageA));

        // The switch-back: Git names the previous version again within the keep-warm time.
        clock.Restart();
        var back = await DeployAsync(agent, images.ImageA, port, strategy);
        await AllTrafficOnAsync(agent, port, DigestOf(images.ImageA));
        var switchBackTime = clock.Elapsed;
        var restored = await agent.WaitForAsync(Environment, back);
        Assert.Equal(RolloutPhase.Succeeded, restored.Rollout?.Phase);
        Assert.Contains("without starting containers", restored.Rollout?.Message, StringComparison.Ordinal);
        Assert.Equal(both.Select(c => c.ID).Order(), (await agent.ContainersAsync(Environment)).Where(c => c.State == "running").Select(c => c.ID).Order());

        var atSwitchBack = load.Total;
        await AgentUnderTest.EventuallyAsync(() => Task.FromResult(load.Total), n => n >= atSwitchBack + 50, "load continues after the switch-back", seconds: 30);
        var result = await load.StopAsync();
        Figures.Report($"Blue-green switch of 2 replicas: commit to all traffic on the new colour {switchTime.TotalSeconds:0.0}s; " +
                       $"switch-back (revert within keep-warm) to all traffic on the old colour {switchBackTime.TotalSeconds:0.0}s " +
                       $"(both include the agent's 1s pull interval)");
        Figures.Report($"Blue-green switch and switch-back under load: {result.Failed} failed of {result.Total} requests " +
                       $"({string.Join(", ", result.ByStatus.Select(p => $"{p.Key}: {p.Value}"))})");
        Assert.True(result.Total > 100, $"only {result.Total} requests were made");
        Assert.Equal(0, result.Failed);

        // The warm colour's expiry is on disk: it is removed on time even across an agent restart.
        await agent.StopAsync();
        await agent.StartAsync();
        await AgentUnderTest.EventuallyAsync(() => agent.ContainersAsync(Environment),
            containers => containers.Count == 2 && containers.All(c => c.Image == images.ImageA),
            "the warm colour is removed after its keep-warm time", seconds: 120);
    }

    [Fact]
    public async Task A_preview_failing_its_smoke_check_never_gets_live_traffic_and_is_reverted_in_git()
    {
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        var strategy = Strategy(FreePort.Next(), keepWarmSeconds: 30);
        await agent.StartAsync();
        var good = await DeployAsync(agent, images.ImageA, port, strategy);
        await agent.WaitForAsync(Environment, good);

        await using var watcher = DigestWatcher.Start(agent, port);
        // Image b, but the Deployment tells it it is image a: /version on the preview reports the wrong digest.
        var bad = await DeployAsync(agent, images.ImageB, port, strategy, files => files.ToDictionary(p => p.Key,
            p => p.Key == "deployment.yaml"
                // The env var's value only, not the image reference (repository@digest).
                ? System.Text.RegularExpressions.Regex.Replace(p.Value, $"(?<!@){DigestOf(images.ImageB)}", DigestOf(images.ImageA))
                : p.Value));

        var aborted = await WaitForAbortAsync(agent, bad);
        Assert.Contains("smoke check on the preview failed", aborted.Message, StringComparison.Ordinal);
        Assert.Contains(DigestOf(images.ImageB), aborted.Message, StringComparison.Ordinal);
        await AssertRevertedAsync(agent, good, bad, aborted, images.ImageA);
        var seen = await watcher.StopAsync();
        Assert.True(seen.Count > 20, $"only {seen.Count} requests were made");
        Assert.All(seen, digest => Assert.Equal(DigestOf(images.ImageA), digest));
    }

    [Fact]
    public async Task A_gate_answering_500_halts_the_rollout_before_traffic_moves_and_the_revert_lands()
    {
        await using var gates = await GateServer.StartAsync();
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        var previewPort = FreePort.Next();
        await agent.StartAsync();
        var good = await DeployAsync(agent, images.ImageA, port, Strategy(previewPort, 30, gates.Url("pass")));
        await agent.WaitForAsync(Environment, good);

        await using var watcher = DigestWatcher.Start(agent, port);
        var bad = await DeployAsync(agent, images.ImageB, port, Strategy(previewPort, 30, gates.Url("fail")));

        var aborted = await WaitForAbortAsync(agent, bad);
        var gate = Assert.Single(aborted.Gates);
        Assert.Equal(("load-test", 500, false), (gate.Name, gate.StatusCode, gate.Passed));
        Assert.Contains("gate 'load-test' failed", aborted.Message, StringComparison.Ordinal);
        var (path, body) = gates.Calls.Last();
        Assert.Equal("/fail", path);
        Assert.Equal(bad, body.GetProperty("revision").GetString());
        Assert.Equal(images.ImageB, body.GetProperty("image").GetString());
        Assert.Equal(images.ImageA, body.GetProperty("stableImage").GetString());
        Assert.Equal($"http://127.0.0.1:{previewPort}", body.GetProperty("previewUrl").GetString());
        await AssertRevertedAsync(agent, good, bad, aborted, images.ImageA);
        var seen = await watcher.StopAsync();
        Assert.True(seen.Count > 20, $"only {seen.Count} requests were made");
        Assert.All(seen, digest => Assert.Equal(DigestOf(images.ImageA), digest));
    }

    [Fact]
    public async Task An_agent_restarted_mid_rollout_resumes_it_with_the_replicas_it_started()
    {
        await using var gates = await GateServer.StartAsync();
        await using var agent = await AgentUnderTest.CreateAsync();
        var port = FreePort.Next();
        var strategy = Strategy(FreePort.Next(), 30, gates.Url("held"));
        await agent.StartAsync();
        await agent.WaitForAsync(Environment, await DeployAsync(agent, images.ImageA, port, strategy));

        // Stopped while the gate holds the rollout: the new colour runs, previewed, out of traffic.
        gates.Hold();
        var next = await DeployAsync(agent, images.ImageB, port, strategy);
        await AgentUnderTest.EventuallyAsync(() => Task.FromResult(gates.Calls.Count(c => c.Body.GetProperty("revision").GetString() == next)),
            n => n > 0, "the gate is called for the new revision", seconds: 180);
        var progressing = (await agent.Client.GetStatusAsync(TestContext.Current.CancellationToken)).Find(Environment);
        await agent.StopAsync();
        var started = (await agent.ContainersAsync(Environment)).Where(c => c.Image == images.ImageB).Select(c => c.ID).Order().ToList();
        Assert.Equal(2, started.Count);

        gates.Release();
        await agent.StartAsync();
        var done = await agent.WaitForAsync(Environment, next);
        Assert.Equal((RolloutPhase.Succeeded, next), (done.Rollout?.Phase, done.Rollout?.Revision));
        Assert.Equal(DigestOf(images.ImageB), (await agent.VersionAsync(port)).ImageDigest);
        var running = await agent.ContainersAsync(Environment);
        Assert.Equal(started, running.Where(c => c.Image == images.ImageB).Select(c => c.ID).Order());
        Assert.Equal(2, running.Count(c => c.Image == images.ImageA && c.State == "running"));
        Assert.NotEqual(RolloutPhase.Aborted, progressing?.Rollout?.Phase);
    }

    static async Task<RolloutStatus> WaitForAbortAsync(AgentUnderTest agent, string revision)
    {
        var status = await AgentUnderTest.EventuallyAsync(async () => (await agent.Client.GetStatusAsync(TestContext.Current.CancellationToken)).Find(Environment),
            s => s?.Rollout is { Phase: RolloutPhase.Aborted } r && r.Revision == revision, $"the rollout of {revision} is aborted", seconds: 180);
        return status!.Rollout!;
    }

    /// <summary>Git's head is a revert of the bad commit with the stable image's trailers, and the environment converges on it, running only the stable image.</summary>
    static async Task AssertRevertedAsync(AgentUnderTest agent, string good, string bad, RolloutStatus aborted, string stableImage)
    {
        var head = (await Git(agent, "rev-parse", "main")).Trim();
        Assert.Equal(head, aborted.RollbackRevision);
        var message = await Git(agent, "log", "-1", "--format=%B", head);
        Assert.Contains($"Slipway-Rollback-Of: {bad}", message, StringComparison.Ordinal);
        Assert.Contains($"Slipway-Image: {stableImage}", message, StringComparison.Ordinal);
        Assert.Contains("Slipway-Source-Commit: 0123456789abcdef0123456789abcdef01234567", message, StringComparison.Ordinal);
        Assert.Equal("", await Git(agent, "diff", good, head, "--", $"environments/{Environment}/"));

        var converged = await agent.WaitForAsync(Environment, head);
        Assert.Equal(DigestOf(stableImage), converged.ImageDigest);
        Assert.Equal(RolloutPhase.Aborted, converged.Rollout?.Phase);
        var containers = await agent.ContainersAsync(Environment);
        Assert.Equal(2, containers.Count);
        Assert.All(containers, c => Assert.Equal(stableImage, c.Image));
    }

    static Task<string> Git(AgentUnderTest agent, params string[] arguments) =>
        Processes.RunAsync("git", ["--git-dir", agent.Repo.Bare, .. arguments]);

    /// <summary>Every answer through the environment's port reports <paramref name="digest"/> (ten in a row, so both replicas answered).</summary>
    static Task AllTrafficOnAsync(AgentUnderTest agent, int port, string digest) =>
        AgentUnderTest.EventuallyAsync(async () =>
        {
            for (var i = 0; i < 10; i++)
                if ((await agent.VersionAsync(port)).ImageDigest != digest) return false;
            return true;
        }, all => all, $"all traffic on 127.0.0.1:{port} is served by {digest}", seconds: 180);

    /// <summary>Asks the environment's port for /version in a loop and keeps every digest it answers with.</summary>
    sealed class DigestWatcher : IAsyncDisposable
    {
        readonly CancellationTokenSource stop = new();
        readonly ConcurrentQueue<string> seen = new();
        readonly Task loop;

        DigestWatcher(AgentUnderTest agent, int port) => loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try { seen.Enqueue((await agent.VersionAsync(port)).ImageDigest ?? "none"); }
                catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException) { seen.Enqueue($"failed: {exception.Message}"); }
                await Task.Delay(50, CancellationToken.None);
            }
        });

        public static DigestWatcher Start(AgentUnderTest agent, int port) => new(agent, port);

        public async Task<IReadOnlyList<string>> StopAsync()
        {
            await stop.CancelAsync();
            await loop;
            return seen.ToList();
        }

        public async ValueTask DisposeAsync()
        {
            if (!stop.IsCancellationRequested) await StopAsync();
            stop.Dispose();
        }
    }
}
