using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Manifests;
using Slipway.Delivery.Promotion;
using Slipway.Delivery.RunRecords;
using Slipway.Delivery.Tests.ConfigRepo;
using Slipway.Delivery.Tests.Manifests;

namespace Slipway.Delivery.Tests.Promotion;

/// <summary>
/// A real bare config repo (with clones), a copy of deploy/ with an extra environment 'qa' (port 8082, promoted into
/// production like staging), and an artifacts folder per machine; all deleted afterwards.
/// </summary>
public sealed class PromotionSandbox : IDisposable
{
    public const string SourceCommit = "0123456789abcdef0123456789abcdef01234567";

    public PromotionSandbox()
    {
        File.WriteAllText(Deploy.File("environments/qa.yaml"), File.ReadAllText(Deploy.File("environments/staging.yaml")).Replace("hostPort: 8081", "hostPort: 8082"));
    }

    public GitSandbox Git { get; } = new();

    public DeployFolder Deploy { get; } = DeployFolder.Copy();

    public Serilog.ILogger Log => Git.Logs.Logger();

    public static string Image(char hex) => "127.0.0.1:5000/beacon@sha256:" + new string(hex, 64);

    public string Artifacts(string machine = "work") => Path.Combine(Git.Root, "artifacts-" + machine);

    public ConfigRepository Repository(string clone = "work") => Git.Repository(clone);

    /// <summary>A Promoter working in its own clone, with its own machine's artifacts.</summary>
    public Promoter Promoter(string clone = "work", TimeProvider? clock = null, PullRequestPromotion? pullRequests = null)
    {
        var repository = Repository(clone);
        return new Promoter(repository, new SmokeEvidenceFinder(Artifacts(clone), new RunRecordStore(repository, Log), Log, clock),
            new ApprovalStore(repository, Log), Log, clock) { ApprovalPollInterval = TimeSpan.FromMilliseconds(200), PullRequests = pullRequests };
    }

    public PromotionRequest Request(string run = "promote-1", string? from = null, string? image = null, string to = "production") =>
        new(Deploy.Path, to, run, from, image);

    /// <summary>Deploys <paramref name="image"/> to <paramref name="environment"/> as GitOpsCommit does (rendered, with trailers).</summary>
    public async Task<CommitResult> DeployAsync(string environment, string image, string run = "deploy-1", string clone = "work")
    {
        var rendered = ManifestRenderer.Render(Deploy.Path, environment, image);
        var trailers = new DeploymentTrailers(environment, image, SourceCommit, new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero), run);
        return await new GitOpsCommitter(Repository(clone), Log).CommitEnvironmentAsync(rendered, trailers, TestContext.Current.CancellationToken);
    }

    /// <summary>What SmokeTest leaves on a machine when it passes.</summary>
    public Task RecordSmokePassAsync(string environment, string image, string machine = "work") =>
        SmokeEvidenceFile.AppendAsync(Artifacts(machine), new SmokeEvidence(environment, image, null, DateTimeOffset.UtcNow, "smoke-1"), TestContext.Current.CancellationToken);

    /// <summary>The commits that changed environments/&lt;env&gt;/ in the bare repo, read with git directly.</summary>
    public async Task<IReadOnlyList<string>> CommitsOfAsync(string environment) =>
        (await GitSandbox.GitAsync(Git.BareRepository, "log", "--format=%H", "main", "--", $"environments/{environment}/"))
        .Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public Task<string> HeadAsync() => GitSandbox.GitAsync(Git.BareRepository, "rev-parse", "main");

    public void Dispose()
    {
        Deploy.Dispose();
        Git.Dispose();
    }
}

/// <summary>A clock that says what the test sets (timers still run on real time).</summary>
public sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
