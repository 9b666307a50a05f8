using System.Collections.Concurrent;

namespace Slipway.Agent.ImageAutomation;

/// <summary>
/// The automator loop: scans every rule at start, then every interval, and at once for the environments a registry
/// notification names. Scans run one after another (they share the config repo clone). The last result per environment
/// is kept for GET /image-automation.
/// </summary>
public sealed class ImageAutomationService(
    IReadOnlyList<ImageAutomationRule> rules, ImageScanner scanner, ImageScanTrigger trigger, TimeSpan interval, ILogger log) : BackgroundService
{
    readonly ConcurrentDictionary<string, (ImageScanResult Result, long Scans)> last = new(StringComparer.Ordinal);

    public IReadOnlyList<ImageAutomationRule> Rules => rules;

    /// <summary>The last scan of every environment under automation (in rule order), with the number of scans so far.</summary>
    public IReadOnlyList<ImageAutomationStatus> Status() =>
        rules.Select(rule => last.TryGetValue(rule.Environment, out var entry)
                ? new ImageAutomationStatus(rule.Environment, rule.Repository.ToString(), rule.Policy.ToString(), entry.Scans, entry.Result)
                : new ImageAutomationStatus(rule.Environment, rule.Repository.ToString(), rule.Policy.ToString(), 0, null))
            .ToList();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        log.Information("Image automation for {Environments} every {Interval}s and on registry notifications",
            rules.Select(rule => $"{rule.Environment} <- {rule.Repository} ({rule.Policy})"), interval.TotalSeconds);
        IReadOnlySet<string>? requested = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            foreach (var rule in rules.Where(rule => requested is null || requested.Contains(rule.Environment)))
            {
                if (stoppingToken.IsCancellationRequested) break;
                try
                {
                    var result = await scanner.ScanAsync(rule, stoppingToken);
                    last.AddOrUpdate(rule.Environment, (result, 1), (_, previous) => (result, previous.Scans + 1));
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
            }
            try
            {
                requested = await trigger.WaitAsync(interval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            if (requested is not null) log.Information("Image scan of {Environments} requested by a registry notification", requested);
        }
    }
}

/// <summary>One environment under image automation and its last scan (null before the first).</summary>
public sealed record ImageAutomationStatus(string Environment, string Repository, string Policy, long Scans, ImageScanResult? Last);
