using System.Globalization;
using System.Text.Json;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Git;

namespace Slipway.Delivery.RunRecords;

/// <summary>
/// Run records in the config repo: one JSON line per run, appended to runs/&lt;yyyy-MM&gt;.jsonl (the month of the run's start,
/// UTC) through <see cref="ConfigRepository.CommitAsync"/>. runs/.gitattributes marks *.jsonl <c>merge=union</c>, so two
/// pipelines that append at once rebase cleanly (git keeps both lines); if a rebase still conflicts, CommitAsync re-applies
/// the append on the new head. Either way no record is lost. See README.md for the choice.
/// </summary>
public sealed class RunRecordStore
{
    public const string Folder = "runs";
    private const string AttributesHeader = "Run records: one JSON object per line; concurrent appends keep both sides' lines.";

    private readonly ConfigRepository repository;
    private readonly Serilog.ILogger log;
    private readonly GitCli git;

    public RunRecordStore(ConfigRepository repository, Serilog.ILogger log)
    {
        ArgumentNullException.ThrowIfNull(repository);
        this.repository = repository;
        this.log = log.ForContext<RunRecordStore>();
        git = new GitCli(null, "", repository.Options.AuthorName, repository.Options.AuthorEmail, this.log);
    }

    /// <summary>The file a record goes to: runs/yyyy-MM.jsonl by its start in UTC.</summary>
    public static string FileFor(DateTimeOffset start) =>
        $"{Folder}/{start.ToUniversalTime().ToString("yyyy-MM", CultureInfo.InvariantCulture)}.jsonl";

    /// <summary>
    /// Appends <paramref name="record"/> after applying <paramref name="mask"/> (the build's secret masker) to every string
    /// in it; a record that is not of the strict shape (see <see cref="RunRecord.Check"/>) is refused and nothing is written.
    /// </summary>
    public async Task<CommitResult> AppendAsync(RunRecord record, Func<string, string> mask, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        var masked = record.Masked(mask);
        masked.Check();
        var line = JsonSerializer.Serialize(masked, SlipwayJson.Compact) + "\n";
        var file = FileFor(masked.Start);
        var message = $"Record run {masked.RunId} ({masked.Result.ToString().ToLowerInvariant()})\n\n{DeploymentTrailers.RunKey}: {masked.RunId}\n";
        var result = await repository.AppendLineAsync(Folder, file, line, AttributesHeader, message, cancellationToken);
        log.Information("Recorded run {Run:l} in {File:l} ({Outcome:l})", masked.RunId, file, result.Outcome);
        return result;
    }

    /// <summary>The records of runs that started in [<paramref name="from"/>, <paramref name="to"/>), oldest first, from the remote's head.
    /// A line that is not a valid record is skipped with a warning naming file and line.</summary>
    public async Task<IReadOnlyList<RunRecord>> ReadAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        var head = await repository.SyncAsync(cancellationToken);
        var work = repository.Options.WorkDirectory;
        var listing = await git.RunCheckedAsync(work, ["ls-tree", "--name-only", head, "--", Folder + "/"], cancellationToken: cancellationToken);
        var months = new HashSet<string>(StringComparer.Ordinal);
        for (var month = new DateTime(from.UtcDateTime.Year, from.UtcDateTime.Month, 1, 0, 0, 0, DateTimeKind.Utc); month < to.UtcDateTime; month = month.AddMonths(1))
            months.Add(FileFor(new DateTimeOffset(month)));
        var records = new List<RunRecord>();
        foreach (var file in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(months.Contains))
        {
            var content = await git.RunCheckedAsync(work, ["show", $"{head}:{file}"], cancellationToken: cancellationToken);
            var number = 0;
            foreach (var line in content.Split('\n'))
            {
                number++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                var record = Parse(line, out var problem);
                if (record is null) log.Warning("Skipping {File:l} line {Line}: {Problem:l}", file, number, problem);
                else if (record.Start >= from && record.Start < to) records.Add(record);
            }
        }
        return records.OrderBy(record => record.Start).ThenBy(record => record.RunId, StringComparer.Ordinal).ToList();
    }

    private static RunRecord? Parse(string line, out string problem)
    {
        try
        {
            var record = JsonSerializer.Deserialize<RunRecord>(line, SlipwayJson.Compact);
            if (record is null) { problem = "not a JSON object"; return null; }
            record.Check();
            problem = "";
            return record;
        }
        catch (Exception exception) when (exception is JsonException or ArgumentException)
        {
            problem = exception.Message;
            return null;
        }
    }
}
