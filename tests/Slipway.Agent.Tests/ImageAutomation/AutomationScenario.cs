using System.Formats.Tar;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Slipway.Agent.ImageAutomation;
using Slipway.Agent.Tests.Infrastructure;
using Slipway.Delivery.Oci;
using Slipway.Delivery.Registry;
using Slipway.Testing;

namespace Slipway.Agent.Tests.ImageAutomation;

/// <summary>
/// One image automation scenario: a repository of its own in the shared test registry, a bare config repo with staging
/// deployed from it, and the agent in-process with an image automation file for staging. The agent manages no
/// environment itself (--environments names one without a folder), so nothing is deployed to Docker.
/// Disposal stops the agent and deletes the directory; the repository stays in the test registry, which is removed with it.
/// </summary>
sealed class AutomationScenario : IAsyncDisposable
{
    public const string Token = "registry-hook-token";
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    readonly string directory;
    readonly RegistryClient registry;
    WebApplication? agent;
    InProcessEdge? edge;

    AutomationScenario(string directory, RegistryFixture registryFixture, TestConfigRepo repo)
    {
        this.directory = directory;
        Repo = repo;
        Repository = ImageReference.Parse($"{registryFixture.Host}/automation-{Guid.NewGuid().ToString("N")[..10]}");
        registry = new RegistryClient(Serilog.Core.Logger.None, _ => null);
    }

    public TestConfigRepo Repo { get; }
    public ImageReference Repository { get; }
    public int ApiPort { get; private set; }
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<AutomationScenario> CreateAsync(RegistryFixture registry)
    {
        var directory = Directory.CreateTempSubdirectory("slipway-automation-test-").FullName;
        return new AutomationScenario(directory, registry, await TestConfigRepo.CreateAsync(directory));
    }

    /// <summary>Pushes a small image of its own (labelled with a revision derived from the tag) under <paramref name="tag"/>; returns repository@digest.</summary>
    public async Task<string> PushAsync(string tag)
    {
        var work = Path.Combine(directory, "images", tag);
        Directory.CreateDirectory(work);
        var tar = Path.Combine(work, "layer.tar");
        await using (var stream = File.Create(tar))
        await using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: false))
        {
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "tag.txt")
            {
                ModificationTime = DateTimeOffset.UnixEpoch,
                Mode = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(Repository + ":" + tag)),
            }, Ct);
        }
        var layer = await OciLayer.GzipDeterministicAsync(tar, tar + ".gz", Ct);
        var config = JsonSerializer.SerializeToUtf8Bytes(new
        {
            architecture = "amd64",
            os = "linux",
            config = new { Labels = new Dictionary<string, string> { ["org.opencontainers.image.revision"] = RevisionOf(tag), ["org.opencontainers.image.created"] = "2026-11-28T12:00:00Z" } },
            rootfs = new { type = "layers", diff_ids = new[] { layer.DiffId } },
        });
        var image = await OciImageLayout.CreateAsync(Path.Combine(work, "layout"), config, [layer.Path], ct: Ct);
        var pushed = await registry.PushAsync(image, Repository, [tag], Ct);
        return pushed.Pushed.ToString();
    }

    /// <summary>The source commit the image pushed under <paramref name="tag"/> is labelled with.</summary>
    /// <summary>A registry of its own that notifies the agent to come on 127.0.0.1:<paramref name="agentPort"/> of every push, with the bearer token.</summary>
    public static Task<RegistryFixture> StartNotifyingRegistryAsync(int agentPort) => RegistryFixture.StartAsync(notificationsSection: $"""
          endpoints:
            - name: slipway-agent
              url: http://127.0.0.1:{agentPort}/hooks/registry
              headers:
                Authorization: [Bearer {Token}]
              timeout: 2s
              threshold: 3
              backoff: 1s
        """);

    public static string RevisionOf(string tag) => Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(tag)));

    /// <summary>Starts the agent with an image automation file for staging holding <paramref name="policy"/> (YAML under the environment).</summary>
    public async Task StartAgentAsync(string policy, TimeSpan scanInterval, string? token = Token, int? apiPort = null)
    {
        var rules = Path.Combine(directory, "image-automation.yaml");
        await File.WriteAllTextAsync(rules, $"environments:\n  staging:\n    image: {Repository}\n{policy}", Ct);
        ApiPort = apiPort ?? FreePort.Next();
        List<string> arguments =
        [
            "--root", directory,
            "--config-repo", Repo.Bare,
            "--work-dir", Path.Combine(directory, "agent"),
            "--environments", "unmanaged",
            "--interval", "3600",
            "--api-port", ApiPort.ToString(CultureInfo.InvariantCulture),
            "--instance", $"slipway-automation-{Guid.NewGuid().ToString("N")[..8]}",
            "--image-automation", rules,
            "--image-scan-interval", scanInterval.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        ];
        if (token is not null) arguments.AddRange(["--registry-webhook-token", token]);
        edge ??= await InProcessEdge.StartAsync(directory, Ct);
        agent = await AgentHost.BuildAsync([.. arguments], TestLogger.Create("automation"), Ct);
        await agent.StartAsync(Ct);
    }

    public async Task<ImageAutomationStatus> StatusAsync() =>
        (await Http.GetFromJsonAsync<ImageAutomationStatus[]>($"http://127.0.0.1:{ApiPort}/image-automation", Json, Ct))!.Single();

    /// <summary>Waits until the agent finished <paramref name="count"/> scans of staging (a failed scan fails the wait at once).</summary>
    public async Task<ImageAutomationStatus> WaitForScansAsync(long count) =>
        await AgentUnderTest.EventuallyAsync(StatusAsync, status =>
        {
            if (status.Last?.Outcome == ImageScanOutcome.Failed) throw new Xunit.Sdk.XunitException($"scan failed: {status.Last.Error}");
            return status.Scans >= count;
        }, $"{count} scans of staging", seconds: 120);

    public async Task<string> HeadAsync() => (await GitAsync("rev-parse", "main")).Trim();

    /// <summary>The image the config repo's staging Deployment runs, and the digest env var beside it.</summary>
    public async Task<(string Image, string? DigestEnv)> StagingImageAsync()
    {
        var yaml = await GitAsync("show", "main:environments/staging/deployment.yaml");
        var container = k8s.KubernetesYaml.Deserialize<V1Deployment>(yaml).Spec.Template.Spec.Containers.Single();
        return (container.Image, container.Env?.FirstOrDefault(variable => variable.Name == "BEACON_IMAGE_DIGEST")?.Value);
    }

    public Task<string> WaitForStagingImageAsync(string image) =>
        AgentUnderTest.EventuallyAsync(async () => (await StagingImageAsync()).Image, running => running == image, $"staging running {image} in the config repo");

    /// <summary>The trailers of the head commit, as git parses them.</summary>
    public async Task<IReadOnlyDictionary<string, string>> HeadTrailersAsync() =>
        (await GitAsync("log", "-1", "--format=%(trailers:only,unfold)", "main"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':', 2))
            .ToDictionary(parts => parts[0].Trim(), parts => parts[1].Trim());

    /// <summary>Rolls the head commit back as the build's Rollback does: a revert commit with Slipway-Rollback-Of.</summary>
    public async Task<string> RollBackHeadAsync(string restoredImage)
    {
        var head = await HeadAsync();
        var repository = new Slipway.Delivery.ConfigRepo.ConfigRepository(new Slipway.Delivery.ConfigRepo.ConfigRepositoryOptions
        {
            Url = Repo.Bare,
            WorkDirectory = Path.Combine(directory, "rollback-work"),
        }, Serilog.Core.Logger.None);
        var result = await repository.RevertAsync(head,
            new Slipway.Delivery.ConfigRepo.DeploymentTrailers("staging", restoredImage, "0123456789abcdef", DateTimeOffset.UnixEpoch, "rollback-test"), Ct);
        return result.Sha;
    }

    public async Task<bool> HasBranchAsync(string branch) =>
        (await Processes.RunAsync("git", ["--git-dir", Repo.Bare, "for-each-ref", "--format=%(refname)", "refs/heads/"])).Contains($"refs/heads/{branch}", StringComparison.Ordinal);

    public async Task<int> CommitCountAsync() => int.Parse((await GitAsync("rev-list", "--count", "main")).Trim(), CultureInfo.InvariantCulture);

    /// <summary>POSTs <paramref name="body"/> to /hooks/registry with <paramref name="authorization"/> (none when null).</summary>
    public async Task<HttpResponseMessage> NotifyAsync(string body, string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{ApiPort}/hooks/registry")
        {
            Content = new StringContent(body, Encoding.UTF8, RegistryNotification.MediaType),
        };
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return await Http.SendAsync(request, Ct);
    }

    /// <summary>A distribution notification envelope announcing a push of <paramref name="tag"/> to <paramref name="repository"/>.</summary>
    public static string PushEnvelope(string repository, string tag, string digest) => JsonSerializer.Serialize(new
    {
        events = new[]
        {
            new
            {
                id = Guid.NewGuid().ToString(),
                timestamp = "2026-11-28T16:00:00Z",
                action = "push",
                target = new { mediaType = "application/vnd.oci.image.manifest.v1+json", digest, repository, tag, url = $"http://registry/v2/{repository}/manifests/{digest}" },
                request = new { id = "1", addr = "127.0.0.1", host = "127.0.0.1", method = "PUT", useragent = "tests" },
            },
        },
    });

    Task<string> GitAsync(params string[] arguments) => Processes.RunAsync("git", ["--git-dir", Repo.Bare, .. arguments]);

    public async ValueTask DisposeAsync()
    {
        if (agent is not null)
        {
            await agent.StopAsync(CancellationToken.None);
            await agent.DisposeAsync();
        }
        if (edge is not null) await edge.DisposeAsync();
        registry.Dispose();
        Http.Dispose();
        try { Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
