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
                    var previous = last.TryGetValue(rule.Environment, out var entry) ? entry.Result : null;
                    last.AddOrUpdate(rule.Environment, (result, 1), (_, before) => (result, before.Scans + 1));
                    Report(previous, result);
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

    /// <summary>Logs a scan whose outcome, tag or problem differs from the last one, so a failing registry is one line, not one per interval.</summary>
    void Report(ImageScanResult? previous, ImageScanResult result)
    {
        if (previous is not null && (previous.Outcome, previous.Tag, previous.Image, previous.Error) == (result.Outcome, result.Tag, result.Image, result.Error)) return;
        if (result.Outcome is ImageScanOutcome.Failed or ImageScanOutcome.HeldAfterRollback or ImageScanOutcome.Unverified)
            log.Warning("Image automation for {Environment} ({Repository}): {Outcome}: {Problem}", result.Environment, result.Repository, result.Outcome, result.Error);
        else
            log.Information("Image automation for {Environment} ({Repository}, {Policy}): {Outcome}, latest tag {Tag}", result.Environment, result.Repository,
                result.Policy, result.Outcome, result.Tag ?? "none");
    }
}

/// <summary>One environment under image automation and its last scan (null before the first).</summary>
public sealed record ImageAutomationStatus(string Environment, string Repository, string Policy, long Scans, ImageScanResult? Last);
