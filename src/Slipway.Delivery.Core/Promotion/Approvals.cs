using System.Text.Json;
using System.Text.RegularExpressions;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Git;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Oci;
using Slipway.Delivery.RunRecords;

namespace Slipway.Delivery.Promotion;

/// <summary>An approval to promote <paramref name="Image"/> into <paramref name="Environment"/>.</summary>
/// <param name="ApprovedBy">Who approved: the user name and CI host, an identifier (never free text).</param>
public sealed partial record Approval(string Environment, string Image, string ApprovedBy, DateTimeOffset ApprovedAt, string Run)
{
    public ImageDigest Digest => ImageDigest.Of(Image);

    public void Check()
    {
        var problems = new List<string>();
        if (!EnvironmentName.IsValid(Environment)) problems.Add($"environment '{Environment}' is invalid; {EnvironmentName.Rule}");
        if (!ImageDigestReference.TryParse(Image, out _, out var imageProblem)) problems.Add($"image: {imageProblem}");
        if (!Identifier().IsMatch(ApprovedBy)) problems.Add($"approver '{ApprovedBy}' must be an identifier (letters, digits, . _ - : @)");
        if (!Identifier().IsMatch(Run)) problems.Add($"run '{Run}' must be an identifier (letters, digits, . _ - : @)");
        if (problems.Count > 0) throw new ArgumentException("approval is invalid: " + string.Join("; ", problems));
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")]
    private static partial Regex Identifier();
}

/// <summary>An approval committed, and the target's promotion policy it was made under.</summary>
public sealed record ApprovalOutcome(Approval Approval, EnvironmentSettings.PromotionSettings Policy, CommitResult Commit);

/// <summary>
/// Approvals live in the config repo, one JSON line per approval in approvals/&lt;env&gt;.jsonl (merge=union, like run
/// records): every machine and CI job sees them, and the approval is itself an audited commit. Outside environments/, so
/// the agent, Flux and Argo CD never see it and it is no deployment.
/// </summary>
public sealed class ApprovalStore
{
    public const string Folder = "approvals";
    public const string ApprovedImageTrailer = "Slipway-Approved-Image";
    private const string AttributesHeader = "Approvals: one JSON object per line; concurrent appends keep both sides' lines.";

    private readonly ConfigRepository repository;
    private readonly Serilog.ILogger log;
    private readonly GitCli git;

    public ApprovalStore(ConfigRepository repository, Serilog.ILogger log)
    {
        ArgumentNullException.ThrowIfNull(repository);
        this.repository = repository;
        this.log = log.ForContext<ApprovalStore>();
        git = new GitCli(null, "", repository.Options.AuthorName, repository.Options.AuthorEmail, this.log);
    }

    public static string FileFor(string environment) => $"{Folder}/{EnvironmentName.Require(environment)}.jsonl";

    public async Task<CommitResult> ApproveAsync(Approval approval, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(approval);
        approval.Check();
        var file = FileFor(approval.Environment);
        var line = JsonSerializer.Serialize(approval, SlipwayJson.Compact) + "\n";
        var message = $"Approve {approval.Digest.Value[..19]} for {approval.Environment}\n\n" +
                      $"{ApprovedImageTrailer}: {approval.Image}\n{DeploymentTrailers.RunKey}: {approval.Run}\n";
        var result = await repository.AppendLineAsync(Folder, file, line, AttributesHeader, message, cancellationToken);
        log.Information("Approved {Image} for {Environment} ({Outcome} {Sha})", approval.Image, approval.Environment, result.Outcome, result.Sha[..12]);
        return result;
    }

    /// <summary>
    /// Approves promoting into <paramref name="target"/> the image its source environment (<paramref name="from"/>, default the
    /// target's promotion.from in deploy/) runs according to the config repo: ./build.sh Approve and the agent's dashboard
    /// both call this, so both make the same commit.
    /// </summary>
    /// <param name="digest">When given, the digest the approver means; refused unless the source runs it.</param>
    /// <exception cref="InvalidOperationException">The source runs nothing, or not <paramref name="digest"/>; nothing is committed.</exception>
    public async Task<ApprovalOutcome> ApproveSourceImageAsync(string deployDirectory, string target, string? from, string? digest,
        string approver, string run, CancellationToken cancellationToken = default)
    {
        var policy = PromotionPolicy.Of(deployDirectory, target);
        var source = from ?? policy.From;
        var image = await repository.CurrentImageAsync(source, cancellationToken)
                    ?? throw new InvalidOperationException($"{source} runs nothing according to the config repo; there is no digest to approve for {target}.");
        if (digest is { } wanted && ImageDigest.Of(wanted) != ImageDigest.Of(image))
            throw new InvalidOperationException($"{source} runs {image}, not {wanted}; approve what {source} runs (omit --digest), or deploy {wanted} to {source} first.");
        var approval = new Approval(target, image, approver, DateTimeOffset.UtcNow, run);
        return new ApprovalOutcome(approval, policy, await ApproveAsync(approval, cancellationToken));
    }

    /// <summary>The latest approval of <paramref name="image"/>'s digest for <paramref name="environment"/> at the remote's head; null when none.</summary>
    public async Task<Approval?> FindAsync(string environment, string image, CancellationToken cancellationToken = default)
    {
        var digest = ImageDigest.Of(image);
        var head = await repository.SyncAsync(cancellationToken);
        var file = FileFor(environment);
        var shown = await git.RunAsync(repository.Options.WorkDirectory, ["show", $"{head}:{file}"], cancellationToken: cancellationToken);
        if (!shown.Succeeded) return null;   // no approvals for this environment yet
        Approval? found = null;
        foreach (var line in shown.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                var approval = JsonSerializer.Deserialize<Approval>(line, SlipwayJson.Compact);
                if (approval is not null && approval.Environment == environment && approval.Digest == digest) found = approval;
            }
            catch (JsonException exception)
            {
                log.Warning("Skipping a line of {File:l} that is no approval: {Reason:l}", file, exception.Message);
            }
        }
        return found;
    }

    /// <summary>The approver identifier for this machine: user@host, reduced to identifier characters.</summary>
    public static string Approver(string? ciHost = null)
    {
        var raw = $"{System.Environment.UserName}@{ciHost ?? System.Environment.MachineName}";
        var cleaned = new string(raw.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '@' or '-' ? c : '-').ToArray())
            .TrimStart('.', '_', ':', '@', '-');
        if (cleaned.Length == 0) return "unknown";
        return cleaned.Length > 128 ? cleaned[..128] : cleaned;
    }
}
