using System.Text.Json;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.ConfigRepo;
using Slipway.Testing;

namespace Slipway.Agent.Tests.Dashboard;

/// <summary>
/// The dashboard end to end (issue #14): a real agent on the Docker engine with a real config repo, staging and a canary
/// production, and Debian's chromium driven by Playwright. The page loads without console errors and shows production's
/// digest, passes an axe scan, follows a canary step by step over server-sent events without a reload, refuses an action
/// without a login and, logged in, rolls production back as a Git commit. Screenshots go to .nuke/artifacts/dashboard/.
/// </summary>
[Trait("Tier", "Engine")]
public sealed class DashboardBrowserDrill(BeaconImages images) : IAsyncLifetime
{
    const string Chromium = DebianChromium.Executable;
    const string OperatorToken = "drill-operator-token";
    static readonly string Screenshots = Path.Combine(Processes.RepositoryRoot(), ".nuke", "artifacts", "dashboard");

    public ValueTask InitializeAsync() => images.EnsureBuiltAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    static string Digest(string image) => image.Split('@')[1];

    /// <summary>A deploy commit as GitOpsCommit writes it: the message with the deployment trailers the history and rollback read.</summary>
    static string Message(string environment, string image, string run) =>
        $"Deploy {Digest(image)[..19]} to {environment}\n\n" +
        string.Join('\n', new DeploymentTrailers(environment, image, "0123456789abcdef0123456789abcdef01234567", DateTimeOffset.UtcNow, run).ToLines()) + "\n";

    [Fact]
    public async Task The_dashboard_shows_both_environments_follows_a_canary_live_and_rolls_back_only_after_a_login()
    {
        var missing = await DebianChromium.EnsureInstalledAsync(TestContext.Current.CancellationToken);
        Assert.True(missing is null, missing);
        Directory.CreateDirectory(Screenshots);
        await using var agent = await AgentUnderTest.CreateAsync();
        var stagingPort = FreePort.Next();
        var productionPort = FreePort.Next();
        string ProductionSettings() => CanarySettings.Yaml(productionPort, "20:3,50:3,80:3", minRequests: 5);
        await agent.StartAsync(environments: "staging,production", operatorToken: OperatorToken);
        await agent.Repo.CommitFilesAsync("staging",
            TestConfigRepo.Render("staging", images.ImageA, replicas: 1, hostPort: stagingPort, audience: "tests").Files,
            Message("staging", images.ImageA, "drill-1"));
        var stable = await agent.Repo.CommitSettingsAsync("production", images.ImageA, ProductionSettings(), Message("production", images.ImageA, "drill-2"));
        await agent.WaitForAsync("staging", stable);
        await agent.WaitForAsync("production", stable);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox"],   // root in a container has no user namespace for chromium's sandbox
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        var consoleErrors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") lock (consoleErrors) consoleErrors.Add(message.Text); };
        page.PageError += (_, error) => { lock (consoleErrors) consoleErrors.Add(error); };
        var dashboard = $"http://127.0.0.1:{agent.ApiPort}/";

        // 1. Both environments with their digests, no console error, no serious accessibility violation.
        await page.GotoAsync(dashboard);
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        var productionCard = page.Locator("#environment-production");
        await Assertions.Expect(productionCard.Locator("[data-testid=digest]")).ToHaveTextAsync(Digest(images.ImageA));
        await Assertions.Expect(page.Locator("#environment-staging [data-testid=digest]")).ToHaveTextAsync(Digest(images.ImageA));
        await Assertions.Expect(productionCard.GetByRole(AriaRole.Button)).ToHaveCountAsync(0);   // read-only without a login
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "overview.png"), FullPage = true });
        var axe = await page.RunAxe();
        var serious = axe.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}").ToList();
        Assert.True(serious.Count == 0, "axe found serious or critical violations:\n" + string.Join('\n', serious));

        // 2. A canary of image b: the steps reach the page as they happen, without a reload.
        await page.EvaluateAsync("""
            () => {
              window.noReload = true;
              window.rolloutSeen = [];
              const record = () => {
                const card = document.getElementById('environment-production');
                const rollout = card && card.querySelector('[data-rollout-phase]');
                if (!rollout) return;
                const seen = rollout.dataset.rolloutPhase + ' ' + rollout.querySelector('[data-testid=rollout-step]').textContent;
                if (window.rolloutSeen[window.rolloutSeen.length - 1] !== seen) window.rolloutSeen.push(seen);
              };
              new MutationObserver(record).observe(document.getElementById('environments'), { subtree: true, childList: true, characterData: true });
            }
            """);
        var canary = await agent.Repo.CommitSettingsAsync("production", images.ImageB, ProductionSettings(), Message("production", images.ImageB, "drill-3"));
        await Assertions.Expect(productionCard.Locator("[data-rollout-phase=Progressing]")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "canary-in-progress.png"), FullPage = true });
        await Assertions.Expect(productionCard.Locator("[data-rollout-phase=Succeeded]")).ToBeVisibleAsync(new() { Timeout = 180_000 });
        await Assertions.Expect(productionCard.Locator("[data-testid=digest]")).ToHaveTextAsync(Digest(images.ImageB), new() { Timeout = 60_000 });
        Assert.True(await page.EvaluateAsync<bool>("() => window.noReload === true"), "the page was reloaded");
        var seen = await page.EvaluateAsync<string[]>("() => window.rolloutSeen");
        var steps = seen.Where(s => s.StartsWith("Progressing ", StringComparison.Ordinal)).Distinct().ToList();
        Assert.True(steps.Count >= 2, $"the page should show the canary's steps advance; it showed: {string.Join(" → ", seen)}");
        Assert.Contains(seen, s => s.StartsWith("Succeeded ", StringComparison.Ordinal));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "canary-succeeded.png"), FullPage = true });

        // 3. An action without a login is refused (no cookie, no CSRF token), and nothing is committed.
        var request = await playwright.APIRequest.NewContextAsync();
        var refused = await request.PostAsync(dashboard + "dashboard/api/environments/production/rollback",
            new APIRequestContextOptions { DataObject = new { } });
        Assert.Equal(401, refused.Status);
        await request.DisposeAsync();
        Assert.Equal(canary, (await agent.Repo.HeadAsync("production")).Sha);

        // 4. Logged in with the operator token, roll production back: a revert commit, applied live.
        await page.GetByLabel("Operator token").FillAsync(OperatorToken);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(page.Locator("#logged-in")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Roll production back…" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm: roll production back" }).ClickAsync();
        await Assertions.Expect(page.Locator("#action-result[data-commit]")).ToHaveCountAsync(1, new() { Timeout = 60_000 });
        var commit = await page.Locator("#action-result").GetAttributeAsync("data-commit");
        var head = await agent.Repo.HeadAsync("production");
        Assert.Equal(head.Sha, commit);
        Assert.Contains($"Slipway-Rollback-Of: {canary}", head.Message);
        Assert.Contains($"Slipway-Image: {images.ImageA}", head.Message);
        await Assertions.Expect(productionCard.Locator("[data-testid=digest]")).ToHaveTextAsync(Digest(images.ImageA), new() { Timeout = 120_000 });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "rolled-back.png"), FullPage = true });

        // 5. Phone width: the same page, readable.
        await page.SetViewportSizeAsync(390, 844);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "phone.png"), FullPage = true });
        var overflow = await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth + 1");
        Assert.False(overflow, "the page scrolls sideways at phone width");

        lock (consoleErrors) Assert.True(consoleErrors.Count == 0, "console errors:\n" + string.Join('\n', consoleErrors));
        await context.CloseAsync();
    }
}
