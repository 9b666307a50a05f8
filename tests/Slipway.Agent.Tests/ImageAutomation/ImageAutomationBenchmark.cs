using System.Diagnostics;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Testing;

namespace Slipway.Agent.Tests.ImageAutomation;

/// <summary>
/// Benchmark, not a pass/fail timing: from pushing a new matching tag to its digest committed in the config repo, woken
/// by the registry's own notification and by a 5 s scan interval alone. Prints its figures.
/// </summary>
[Trait("Tier", "Engine")]
public sealed class ImageAutomationBenchmark(BeaconImages images) : IAsyncLifetime
{
    // Needs no Beacon image, but waits for their build (the first engine drill starts it): the build's load would
    // otherwise overlap this timing-sensitive drill, as it never did while the images were built before any test.
    public ValueTask InitializeAsync() => images.EnsureBuiltAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Push_to_commit_by_registry_notification_and_by_interval()
    {
        var agentPort = FreePort.Next();
        await using var registry = await AutomationScenario.StartNotifyingRegistryAsync(agentPort);
        var notified = await MeasureAsync(registry, TimeSpan.FromHours(1), agentPort);
        var polled = await MeasureAsync(registry, TimeSpan.FromSeconds(5), apiPort: null);

        Figures.Report($"Image automation, push of a new tag to its digest committed (3 pushes each): by registry notification " +
                       $"{Describe(notified)}; by 5 s interval {Describe(polled)}");
        Assert.Equal(3, notified.Count);
        Assert.Equal(3, polled.Count);
    }

    static async Task<IReadOnlyList<TimeSpan>> MeasureAsync(RegistryFixture registry, TimeSpan interval, int? apiPort)
    {
        await using var scenario = await AutomationScenario.CreateAsync(registry);
        await scenario.Repo.CommitAsync("staging", await scenario.PushAsync("1.0.0"), replicas: 1, hostPort: FreePort.Next());
        await scenario.StartAgentAsync("    policy:\n      semver: { range: \">=1.0.0 <2.0.0\" }\n", interval, apiPort: apiPort);
        await scenario.WaitForScansAsync(1);
        var figures = new List<TimeSpan>();
        for (var minor = 1; minor <= 3; minor++)
        {
            var clock = Stopwatch.StartNew();
            var image = await scenario.PushAsync($"1.{minor}.0");
            await scenario.WaitForStagingImageAsync(image);
            figures.Add(clock.Elapsed);
        }
        return figures;
    }

    static string Describe(IReadOnlyList<TimeSpan> figures) =>
        $"{string.Join(" / ", figures.Select(f => f.TotalSeconds.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)))} s";
}
