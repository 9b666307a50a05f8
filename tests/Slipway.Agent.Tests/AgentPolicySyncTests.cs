using k8s;
using Slipway.Agent.Tests.Fakes;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;

namespace Slipway.Agent.Tests;

/// <summary>
/// The agent's policy on config-repo commits: the whole agent (loop, /status) with a real bare Git config repo, applying to
/// the Kubernetes API SIMULATION (no cluster, no container). Each bad commit is refused with its reason on /status while
/// the last good revision keeps running, and the loop goes on (a later good commit applies).
/// </summary>
public sealed class AgentPolicySyncTests : IAsyncLifetime
{
    static readonly string GoodImage = "127.0.0.1:5000/beacon@sha256:" + new string('a', 64);
    static readonly string NextImage = "127.0.0.1:5000/beacon@sha256:" + new string('c', 64);

    SimulatedEnvironment env = null!;

    public async ValueTask InitializeAsync() => env = await SimulatedEnvironment.CreateAsync("slipway-agent-policy-");

    public ValueTask DisposeAsync() => env.DisposeAsync();

    async Task<string> DeployGoodAsync()
    {
        var good = await env.Repo.CommitAsync(SimulatedEnvironment.Name, GoodImage, replicas: 2, hostPort: 8081);
        await env.StartAgentAsync("policy-agent", FakeImageVerification.SigningEverything(), ["--max-file-bytes", "65536"]);
        await env.WaitForAsync(s => s.AppliedRevision == good && s.Health == EnvironmentHealth.Healthy, "the good revision applied");
        return good;
    }

    /// <summary>The refusal is on /status with its reason, the good revision still runs, and a good commit afterwards applies.</summary>
    async Task AssertRefusedAndRecoversAsync(string good, string bad, string reason)
    {
        var refused = await env.WaitForAsync(s => s.RefusedRevision == bad, "the bad revision refused");
        Assert.Equal(good, refused.AppliedRevision);
        Assert.Contains($"Revision {bad[..12]} refused for staging", refused.LastError, StringComparison.Ordinal);
        Assert.Contains(reason, refused.LastError, StringComparison.Ordinal);
        Assert.Equal(GoodImage, await env.RunningImageAsync());

        var next = await env.Repo.CommitAsync(SimulatedEnvironment.Name, NextImage, replicas: 2, hostPort: 8081);
        await env.WaitForAsync(s => s.AppliedRevision == next && s.Health == EnvironmentHealth.Healthy && s.RefusedRevision is null, "a good commit after it applied");
        Assert.Equal(NextImage, await env.RunningImageAsync());
    }

    async Task<string> CommitEditedAsync(Func<Dictionary<string, string>, Dictionary<string, string>> edit, string message)
    {
        var files = (await env.Repo.FilesAsync(SimulatedEnvironment.Name)).ToDictionary();
        return await env.Repo.CommitFilesAsync(SimulatedEnvironment.Name, edit(files), message);
    }

    [Fact]
    public async Task An_image_from_a_foreign_registry_is_refused()
    {
        var good = await DeployGoodAsync();
        var bad = await env.Repo.CommitAsync(SimulatedEnvironment.Name, "ghcr.io/someone/beacon@sha256:" + new string('b', 64), replicas: 2, hostPort: 8081);
        await AssertRefusedAndRecoversAsync(good, bad, "comes from registry 'ghcr.io', which is not allowed here (allowed: 127.0.0.1:5000)");
    }

    [Fact]
    public async Task A_file_with_a_non_ascii_name_is_refused_without_stalling_the_loop()
    {
        var good = await DeployGoodAsync();
        var bad = await CommitEditedAsync(files => { files["café ☕.yaml"] = "a: 1\n"; return files; }, "Add a file with a non-ASCII name");
        await AssertRefusedAndRecoversAsync(good, bad, "environments/staging/café ☕.yaml: unexpected file");
    }

    [Fact]
    public async Task A_yaml_alias_bomb_is_refused_before_it_expands()
    {
        var good = await DeployGoodAsync();
        var bomb = string.Join('\n', Enumerable.Range(1, 9).Select(i => $"x{i}: &x{i} [{string.Join(',', Enumerable.Repeat($"*x{i - 1}", 9))}]"));
        var bad = await CommitEditedAsync(files =>
        {
            files["configmap.yaml"] = "x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + bomb + "\n" + files["configmap.yaml"];
            return files;
        }, "Nested aliases");
        await AssertRefusedAndRecoversAsync(good, bad, "alias *x0 — YAML aliases are refused");
    }

    [Theory]
    [InlineData(true, "spec.replicas is 50, above the environment's policy.maxReplicas 10")]
    [InlineData(false, "spec.replicas is 50, above this agent's limit of 20 (--max-replicas)")]
    public async Task Replicas_above_the_cap_are_refused(bool keepEnvironmentCap, string reason)
    {
        var good = await DeployGoodAsync();
        var bad = await CommitEditedAsync(files =>
        {
            var deployment = files["deployment.yaml"].Replace("replicas: 2", "replicas: 50", StringComparison.Ordinal);
            if (!keepEnvironmentCap)
                deployment = string.Join('\n', deployment.Split('\n').Where(line => !line.Contains("slipway.dev/max-replicas", StringComparison.Ordinal)));
            files["deployment.yaml"] = deployment;
            return files;
        }, "Fifty replicas");
        await AssertRefusedAndRecoversAsync(good, bad, reason);
    }

    [Fact]
    public async Task Too_large_a_file_and_too_many_files_are_refused_unread()
    {
        var good = await DeployGoodAsync();
        var large = await CommitEditedAsync(files => { files["configmap.yaml"] += "\n# " + new string('x', 70_000) + "\n"; return files; }, "A large file");
        await AssertRefusedAndRecoversAsync(good, large, "environments/staging/configmap.yaml is 7");

        var current = (await env.WaitForAsync(s => s.RefusedRevision is null, "recovered")).AppliedRevision!;
        var many = await CommitEditedAsync(files =>
        {
            for (var i = 0; i < 20; i++) files[$"extra-{i}.yaml"] = "a: 1\n";
            return files;
        }, "Many files");
        var refused = await env.WaitForAsync(s => s.RefusedRevision == many, "too many files refused");
        Assert.Contains("holds 23 entries; at most 16 are read (--max-files)", refused.LastError, StringComparison.Ordinal);
        Assert.Equal(current, refused.AppliedRevision);
    }

    [Fact]
    public async Task A_removed_folder_is_not_pruned_unless_the_commit_says_so()
    {
        var good = await DeployGoodAsync();
        var removal = await env.Repo.RemoveEnvironmentAsync(SimulatedEnvironment.Name);
        var refused = await env.WaitForAsync(s => s.RefusedRevision == removal, "the removal refused");
        Assert.Equal(good, refused.AppliedRevision);
        Assert.Contains($"was removed by {removal[..12]} without the trailer 'Slipway-Allow-Empty: true'", refused.LastError, StringComparison.Ordinal);
        Assert.Equal(GoodImage, await env.RunningImageAsync());

        await env.Repo.CommitAsync(SimulatedEnvironment.Name, GoodImage, replicas: 2, hostPort: 8081);
        var allowed = await env.Repo.RemoveEnvironmentAsync(SimulatedEnvironment.Name, $"Retire {SimulatedEnvironment.Name}\n\nSlipway-Allow-Empty: true");
        var pruned = await env.WaitForAsync(s => s.AppliedRevision == allowed && s.ReplicasDesired == 0, "the environment pruned");
        Assert.Contains("nothing runs there", pruned.LastError, StringComparison.Ordinal);
        Assert.Empty((await env.Client.AppsV1.ListNamespacedDeploymentAsync(SimulatedEnvironment.Name, cancellationToken: TestContext.Current.CancellationToken)).Items);
    }
}
