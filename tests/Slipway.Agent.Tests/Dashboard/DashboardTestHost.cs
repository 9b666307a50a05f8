using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Agent.Dashboard;
using Slipway.Agent.Sync;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Manifests;
using Slipway.Testing;

namespace Slipway.Agent.Tests.Dashboard;

/// <summary>
/// The dashboard alone, in-process on a loopback port: the agent's status board (driven by the test instead of a
/// synchronizer), a real bare config repo in a temp folder, and a copy of deploy/ whose production needs a manual approval.
/// </summary>
sealed class DashboardTestHost : IAsyncDisposable
{
    public const string OperatorToken = "operator-token-for-tests";
    public const string ImageA = "127.0.0.1:5000/beacon@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    public const string ImageB = "127.0.0.1:5000/beacon@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    readonly string root;
    readonly WebApplication app;

    DashboardTestHost(string root, WebApplication app, StatusBoard board, ConfigRepository writer, Uri baseAddress)
    {
        this.root = root;
        this.app = app;
        Board = board;
        Writer = writer;
        BaseAddress = baseAddress;
    }

    public StatusBoard Board { get; }
    /// <summary>A clone the test deploys through, as GitOpsCommit would.</summary>
    public ConfigRepository Writer { get; }
    public Uri BaseAddress { get; }
    public string Deploy => Path.Combine(root, "deploy");
    public StatusFeed Feed => app.Services.GetRequiredService<StatusFeed>();

    public static async Task<DashboardTestHost> StartAsync(string? operatorToken = OperatorToken)
    {
        var root = Directory.CreateTempSubdirectory("slipway-dashboard-test-").FullName;
        CopyDeploy(Path.Combine(Processes.RepositoryRoot(), "deploy"), Path.Combine(root, "deploy"));
        var production = Path.Combine(root, "deploy", "environments", "production.yaml");
        await File.WriteAllTextAsync(production, (await File.ReadAllTextAsync(production)).Replace("approval: automatic", "approval: manual"));

        var log = TestLogger.Create("dashboard");
        var bare = Path.Combine(root, "config.git");
        var writer = new ConfigRepository(new ConfigRepositoryOptions { Url = bare, WorkDirectory = Path.Combine(root, "writer") }, log);
        await writer.SyncAsync(TestContext.Current.CancellationToken);   // creates and seeds the bare repo

        var port = FreePort.Next();
        var options = new AgentOptions
        {
            Root = root,
            ConfigRepo = bare,
            WorkDir = Path.Combine(root, "agent"),
            EdgeSocket = Path.Combine(root, "edge.sock"),
            Environments = ["staging", "production"],
            ApiPort = port,
            OperatorToken = operatorToken,
        };
        var board = new StatusBoard(options.Environments);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(board);
        builder.Services.AddSingleton<SyncTrigger>();
        builder.Services.AddDashboard(options, log);
        var app = builder.Build();
        app.MapDashboard();
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new DashboardTestHost(root, app, board, writer, new Uri($"http://127.0.0.1:{port}/"));
    }

    /// <summary>Commits <paramref name="image"/> to <paramref name="environment"/> as GitOpsCommit does (rendered from the copy of deploy/); returns the commit.</summary>
    public async Task<string> DeployAsync(string environment, string image, string run = "run-1")
    {
        var rendered = ManifestRenderer.Render(Deploy, environment, image);
        var trailers = new DeploymentTrailers(environment, image, "0123456789abcdef0123456789abcdef01234567",
            new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero), run);
        var result = await new GitOpsCommitter(Writer, TestLogger.Create("dashboard")).CommitEnvironmentAsync(rendered, trailers, TestContext.Current.CancellationToken);
        return result.Sha;
    }

    /// <summary>Reports <paramref name="environment"/> applied at <paramref name="revision"/> running <paramref name="image"/>, as the synchronizer would.</summary>
    public void Applied(string environment, string revision, string image) =>
        Board.Update(environment, status => status with
        {
            DesiredRevision = revision, AppliedRevision = revision, ImageDigest = image.Split('@')[1], Health = EnvironmentHealth.Healthy,
            ReplicasReady = 2, ReplicasDesired = 2, LastApplied = DateTimeOffset.UtcNow,
        });

    /// <summary>A client without cookies of its own: the tests send the session cookie by hand, as a browser would.</summary>
    public HttpClient Client() => new(new HttpClientHandler { UseCookies = false }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    static void CopyDeploy(string source, string target)
    {
        foreach (var directory in Directory.GetDirectories(source, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(directory.Replace(source, target, StringComparison.Ordinal));
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(source, target, StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            File.SetAttributes(file, FileAttributes.Normal);   // git makes pack files read-only
        Directory.Delete(root, recursive: true);
    }
}
