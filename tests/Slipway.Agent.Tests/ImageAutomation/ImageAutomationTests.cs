using System.Net;
using System.Net.Http.Json;
using Slipway.Agent.ImageAutomation;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Testing;

namespace Slipway.Agent.Tests.ImageAutomation;

/// <summary>
/// Image automation against a real docker-registry and a real bare config repo: a new tag matching the policy is committed
/// by digest with the deployment trailers (on the interval, and at once on an authenticated registry notification),
/// a tag outside the policy never is, and an unauthenticated notification is 401 and scans nothing.
/// </summary>
[Trait("Tier", "Engine")]
public sealed class ImageAutomationTests(RegistryFixture registry, BeaconImages images) : IClassFixture<RegistryFixture>, IAsyncLifetime
{
    // Needs no Beacon image, but waits for their build (the first engine drill starts it): the build's load would
    // otherwise overlap this timing-sensitive drill, as it never did while the images were built before any test.
    public ValueTask InitializeAsync() => images.EnsureBuiltAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    const string SemverPolicy = "    policy:\n      semver: { range: \">=1.0.0 <2.0.0\" }\n";
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task On_the_interval_a_new_matching_tag_is_committed_by_digest_and_tags_outside_the_policy_are_not()
    {
        await using var scenario = await AutomationScenario.CreateAsync(registry);
        var first = await scenario.PushAsync("1.0.0");
        await scenario.Repo.CommitAsync("staging", first, replicas: 1, hostPort: FreePort.Next());
        await scenario.StartAgentAsync(SemverPolicy, scanInterval: TimeSpan.FromSeconds(1));
        var initial = await scenario.WaitForScansAsync(1);
        Assert.Equal((ImageScanOutcome.UpToDate, "1.0.0", first), (initial.Last!.Outcome, initial.Last.Tag, initial.Last.Image));
        var seeded = await scenario.HeadAsync();

        // Outside the range, and a pre-release: two full scans after the push see them and commit nothing.
        await scenario.PushAsync("2.0.0");
        await scenario.PushAsync("1.1.0-rc.1");
        var pushedAt = (await scenario.StatusAsync()).Scans;
        var ignored = await scenario.WaitForScansAsync(pushedAt + 2);
        Assert.Equal((ImageScanOutcome.UpToDate, "1.0.0"), (ignored.Last!.Outcome, ignored.Last.Tag));
        Assert.Equal(seeded, await scenario.HeadAsync());

        var second = await scenario.PushAsync("1.1.0");
        await scenario.WaitForStagingImageAsync(second);

        var (image, digestEnv) = await scenario.StagingImageAsync();
        Assert.Equal(second.Split('@')[1], digestEnv);
        var trailers = await scenario.HeadTrailersAsync();
        Assert.Equal("staging", trailers["Slipway-Environment"]);
        Assert.Equal(image, trailers["Slipway-Image"]);
        Assert.Equal(AutomationScenario.RevisionOf("1.1.0"), trailers["Slipway-Source-Commit"]);
        Assert.Equal("2026-11-28T12:00:00+00:00", trailers["Slipway-Source-Time"]);
        Assert.StartsWith("image-automation/", trailers["Slipway-Run"], StringComparison.Ordinal);
        var commits = await scenario.CommitCountAsync();

        // Once the environment runs the latest digest, later scans commit nothing more.
        var afterCommit = (await scenario.StatusAsync()).Scans;
        var settled = await scenario.WaitForScansAsync(afterCommit + 2);
        Assert.Equal((ImageScanOutcome.UpToDate, "1.1.0", second), (settled.Last!.Outcome, settled.Last.Tag, settled.Last.Image));
        Assert.Equal(commits, await scenario.CommitCountAsync());
    }

    [Fact]
    public async Task An_authenticated_registry_notification_scans_at_once_and_an_unauthenticated_one_is_401_and_scans_nothing()
    {
        await using var scenario = await AutomationScenario.CreateAsync(registry);
        var first = await scenario.PushAsync("1.0.0");
        await scenario.Repo.CommitAsync("staging", first, replicas: 1, hostPort: FreePort.Next());
        await scenario.StartAgentAsync(SemverPolicy, scanInterval: TimeSpan.FromHours(1));
        await scenario.WaitForScansAsync(1);
        var seeded = await scenario.HeadAsync();

        var second = await scenario.PushAsync("1.2.0");
        var envelope = AutomationScenario.PushEnvelope(scenario.Repository.Repository, "1.2.0", second.Split('@')[1]);

        using (var anonymous = await scenario.NotifyAsync(envelope, authorization: null))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using (var wrong = await scenario.NotifyAsync(envelope, "Bearer not-the-token"))
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        using (var basic = await scenario.NotifyAsync(envelope, "Basic " + Convert.ToBase64String("x:registry-hook-token"u8)))
            Assert.Equal(HttpStatusCode.Unauthorized, basic.StatusCode);
        // The scan interval is an hour: the only scan so far is the one at start, and the config repo is untouched.
        Assert.Equal(1, (await scenario.StatusAsync()).Scans);
        Assert.Equal(seeded, await scenario.HeadAsync());

        using (var other = await scenario.NotifyAsync(AutomationScenario.PushEnvelope("someone/else", "9.9.9", second.Split('@')[1]), "Bearer " + AutomationScenario.Token))
        {
            Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
            Assert.Empty((await other.Content.ReadFromJsonAsync<QueuedAnswer>(Ct))!.Queued);
        }
        using (var malformed = await scenario.NotifyAsync("""{"ref":"refs/heads/main"}""", "Bearer " + AutomationScenario.Token))
            Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);

        using (var accepted = await scenario.NotifyAsync(envelope, "Bearer " + AutomationScenario.Token))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            Assert.Equal(["staging"], (await accepted.Content.ReadFromJsonAsync<QueuedAnswer>(Ct))!.Queued);
        }
        await scenario.WaitForStagingImageAsync(second);
        Assert.Equal(second.Split('@')[1], (await scenario.StagingImageAsync()).DigestEnv);
        Assert.Equal(AutomationScenario.RevisionOf("1.2.0"), (await scenario.HeadTrailersAsync())["Slipway-Source-Commit"]);
        Assert.Equal(2, (await scenario.StatusAsync()).Scans);
    }

    [Fact]
    public async Task A_push_the_registry_itself_notifies_is_committed_without_waiting_for_the_interval()
    {
        // The agent's port is chosen first so the registry's config can name its webhook with the bearer token.
        var agentPort = FreePort.Next();
        await using var notifying = await AutomationScenario.StartNotifyingRegistryAsync(agentPort);
        await using var scenario = await AutomationScenario.CreateAsync(notifying);
        var first = await scenario.PushAsync("1.0.0");
        await scenario.Repo.CommitAsync("staging", first, replicas: 1, hostPort: FreePort.Next());
        await scenario.StartAgentAsync(SemverPolicy, scanInterval: TimeSpan.FromHours(1), apiPort: agentPort);
        await scenario.WaitForScansAsync(1);

        var second = await scenario.PushAsync("1.3.0");

        await scenario.WaitForStagingImageAsync(second);
        Assert.Equal(AutomationScenario.RevisionOf("1.3.0"), (await scenario.HeadTrailersAsync())["Slipway-Source-Commit"]);
    }

    [Fact]
    public async Task An_environment_the_config_repo_lacks_is_reported_not_created()
    {
        await using var scenario = await AutomationScenario.CreateAsync(registry);
        var image = await scenario.PushAsync("1.0.0");
        await scenario.StartAgentAsync(SemverPolicy, scanInterval: TimeSpan.FromSeconds(1));

        var empty = await AgentUnderTest.EventuallyAsync(scenario.StatusAsync, status => status.Scans >= 1, "a scan of the empty config repo");
        Assert.Equal(ImageScanOutcome.Failed, empty.Last!.Outcome);
        Assert.Contains("has no branch 'main' yet", empty.Last.Error, StringComparison.Ordinal);
        Assert.False(await scenario.HasBranchAsync("main"));   // never seeded by the agent

        await scenario.Repo.CommitAsync("production", image, replicas: 1, hostPort: FreePort.Next());
        var missing = await AgentUnderTest.EventuallyAsync(scenario.StatusAsync,
            status => status.Last?.Error?.Contains("environments/staging/ is not in the config repo", StringComparison.Ordinal) == true,
            "a scan reporting staging missing");
        Assert.Equal((ImageScanOutcome.Failed, "1.0.0", image), (missing.Last!.Outcome, missing.Last.Tag, missing.Last.Image));
        Assert.Equal(1, await scenario.CommitCountAsync());
    }

    [Fact]
    public async Task A_digest_rolled_back_in_the_environment_is_not_deployed_again_until_a_newer_tag()
    {
        await using var scenario = await AutomationScenario.CreateAsync(registry);
        var good = await scenario.PushAsync("1.0.0");
        await scenario.Repo.CommitAsync("staging", good, replicas: 1, hostPort: FreePort.Next());
        var bad = await scenario.PushAsync("1.1.0");
        await scenario.StartAgentAsync(SemverPolicy, scanInterval: TimeSpan.FromSeconds(1));
        await scenario.WaitForStagingImageAsync(bad);

        var rollback = await scenario.RollBackHeadAsync(good);
        Assert.Equal(good, (await scenario.StagingImageAsync()).Image);
        var held = await AgentUnderTest.EventuallyAsync(scenario.StatusAsync,
            status => status.Last?.Outcome == ImageScanOutcome.HeldAfterRollback, "a scan holding the rolled-back digest");
        await scenario.WaitForScansAsync(held.Scans + 2);
        Assert.Equal(rollback, await scenario.HeadAsync());
        Assert.Equal((ImageScanOutcome.HeldAfterRollback, bad), ((await scenario.StatusAsync()).Last!.Outcome, (await scenario.StatusAsync()).Last!.Image));

        var fixedImage = await scenario.PushAsync("1.1.1");
        await scenario.WaitForStagingImageAsync(fixedImage);
    }

    [Fact]
    public async Task A_numerical_policy_follows_the_highest_build_number_not_the_latest_text()
    {
        await using var scenario = await AutomationScenario.CreateAsync(registry);
        var nine = await scenario.PushAsync("main-9");
        await scenario.Repo.CommitAsync("staging", nine, replicas: 1, hostPort: FreePort.Next());
        await scenario.PushAsync("feature-99");
        var ten = await scenario.PushAsync("main-10");

        await scenario.StartAgentAsync("    filterTags: { pattern: '^main-(?<build>[0-9]+)$', extract: '$build' }\n    policy:\n      numerical: { order: asc }\n",
            scanInterval: TimeSpan.FromSeconds(1));

        await scenario.WaitForStagingImageAsync(ten);
        var status = await scenario.WaitForScansAsync((await scenario.StatusAsync()).Scans + 1);
        Assert.Equal("main-10", status.Last!.Tag);
    }

    sealed record QueuedAnswer(string[] Queued);
}
