namespace Slipway.Delivery.Metrics;

/// <summary>
/// Which source commits a deploy brings into an environment, for lead time: every commit after the source live before it
/// up to its own, when the source repository has both; its head commit alone without them. Each commit is credited once,
/// to the first deploy that brought it. One per history read (the Git and the GitHub readers share it).
/// </summary>
public sealed class SourceCrediting(SourceRepository? sourceRepository, Serilog.ILogger log)
{
    private readonly HashSet<string> credited = new(StringComparer.OrdinalIgnoreCase);
    private bool missingSourceReported;

    /// <param name="previousSource">The source commit live before this deploy; null for the first deploy read.</param>
    /// <param name="sourceTime">The head commit's time when the repository cannot say; <see cref="DateTimeOffset.MinValue"/>: unknown, nothing credited.</param>
    public async Task<IReadOnlyList<SourceChange>> CreditAsync(string? previousSource, string sourceCommit, DateTimeOffset sourceTime,
        CancellationToken cancellationToken)
    {
        IReadOnlyList<SourceChange>? found = null;
        if (sourceRepository is not null)
        {
            found = previousSource is null
                ? await sourceRepository.CommitAsync(sourceCommit, cancellationToken) is { } head ? [head] : null
                : await sourceRepository.CommitsBetweenAsync(previousSource, sourceCommit, cancellationToken);
            if (found is null && !missingSourceReported)
            {
                log.Warning("Source commit {Commit:l} (or its predecessor {Previous:l}) is not in {Repository:l}; crediting head commits only " +
                            "(fetch the full history for exact lead times)", sourceCommit, previousSource ?? "-", sourceRepository.Location);
                missingSourceReported = true;
            }
        }
        found ??= sourceTime == DateTimeOffset.MinValue ? [] : [new SourceChange(sourceCommit, sourceTime)];
        return found.Where(change => credited.Add(change.Sha)).ToList();
    }
}
