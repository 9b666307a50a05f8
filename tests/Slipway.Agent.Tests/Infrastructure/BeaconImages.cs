using System.Formats.Tar;
using Docker.DotNet;
using Docker.DotNet.Models;
using Slipway.Delivery.Docker;
using Slipway.Delivery.Platform;
using Slipway.Delivery.Registry;
using Slipway.Testing;

[assembly: AssemblyFixture(typeof(Slipway.Agent.Tests.Infrastructure.BeaconImages))]

namespace Slipway.Agent.Tests.Infrastructure;

/// <summary>
/// Two runnable Beacon images (variants "a" and "b": same app, different image config, so different digests) pushed
/// to a throw-away registry, so manifests pin them by digest and the agent pulls them as it would in production.
/// The base is the pipeline's own local Debian base (<see cref="BaseImageProvider"/> with <see cref="LocalBaseImageBuilder"/>),
/// pushed to the same registry; its OCI layout is cached under the repository's .nuke/platform, as the pipeline caches it,
/// so only the first run on a machine builds it.
/// Built on first use (<see cref="EnsureBuiltAsync"/>, called by every engine drill before its tests), never for the
/// fast tier: an assembly fixture is created for every run, whatever the filter.
/// </summary>
public sealed class BeaconImages : IAsyncLifetime
{
    public const string TestLabel = "slipway-test";

    readonly string runId = Guid.NewGuid().ToString("N")[..8];
    RegistryFixture? registry;
    DockerClient? docker;
    string? baseImage;
    string? workDirectory;
    readonly SemaphoreSlim building = new(1, 1);
    bool built;

    public string ImageA { get; private set; } = "";
    public string ImageB { get; private set; } = "";
    public string LabelValue => $"agent-{runId}";

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    /// <summary>Builds and pushes the images the first time a test needs them; later calls return at once.</summary>
    public async ValueTask EnsureBuiltAsync()
    {
        await building.WaitAsync();
        try
        {
            if (built) return;
            await BuildAllAsync();
            built = true;
        }
        finally
        {
            building.Release();
        }
    }

    async Task BuildAllAsync()
    {
        var log = TestLogger.Create("fixture");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        docker = await DockerEngine.ConnectAsync();
        registry = await RegistryFixture.StartAsync();
        workDirectory = Directory.CreateTempSubdirectory("slipway-agent-images-").FullName;
        baseImage = await EnsureBaseImageAsync(registry.Host, log);
        log.Information("Base image {Base} ready at {Seconds:0.0}s", baseImage, clock.Elapsed.TotalSeconds);

        var publish = Path.Combine(workDirectory, "app");
        await Processes.RunAsync("dotnet", ["publish", Path.Combine(Processes.RepositoryRoot(), "src", "Beacon"), "-c", "Release", "-r", "linux-x64",
            "--self-contained", "-o", publish, "-p:DebugType=none"]);
        log.Information("Beacon published at {Seconds:0.0}s", clock.Elapsed.TotalSeconds);
        // Variant b is a only relabelled: same layers, another image config, another digest — built without a context upload.
        var repository = $"{registry!.Host}/slipway-agent-test/beacon";
        await BuildAsync(docker, $"{repository}:a-{runId}", $"FROM {baseImage}\nCOPY app/ /app/\n", publish, "a");
        await BuildAsync(docker, $"{repository}:b-{runId}", $"FROM {repository}:a-{runId}\n", null, "b");
        ImageA = await PushAsync(docker, repository, $"a-{runId}");
        ImageB = await PushAsync(docker, repository, $"b-{runId}");
        foreach (var tag in (string[])[$"a-{runId}", $"b-{runId}"])
            // Drop the local copies so the agent really pulls by digest from the registry.
            await docker.Images.DeleteImageAsync($"{repository}:{tag}", new ImageDeleteParameters { Force = true });
        log.Information("Images {A} and {B} pushed at {Seconds:0.0}s", ImageA, ImageB, clock.Elapsed.TotalSeconds);
    }

    async Task BuildAsync(DockerClient client, string tag, string from, string? publish, string variant)
    {
        using var context = new MemoryStream();
        await using (var tar = new TarWriter(context, TarEntryFormat.Pax, leaveOpen: true))
        {
            var dockerfile = new PaxTarEntry(TarEntryType.RegularFile, "Dockerfile")
            {
                DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(from + $"""
                    LABEL {TestLabel}={LabelValue} {TestLabel}.variant={variant}
                    ENV DOTNET_gcServer=0
                    USER 1654
                    ENTRYPOINT ["/app/Beacon"]
                    """)),
            };
            await tar.WriteEntryAsync(dockerfile);
            if (publish is not null)
                foreach (var file in Directory.EnumerateFiles(publish, "*", SearchOption.AllDirectories))
                    await tar.WriteEntryAsync(file, "app/" + Path.GetRelativePath(publish, file));
        }
        context.Position = 0;
        var errors = new List<string>();
        await client.Images.BuildImageFromDockerfileAsync(new ImageBuildParameters { Tags = [tag], Remove = true, ForceRemove = true },
            context, [], new Dictionary<string, string>(), new Progress<JSONMessage>(m => { if (m.Error?.Message is { } e) errors.Add(e); }));
        if (errors.Count > 0) throw new InvalidOperationException($"docker build of Beacon variant {variant} failed: {string.Join("; ", errors)}");
    }

    static async Task<string> PushAsync(DockerClient client, string repository, string tag)
    {
        var errors = new List<string>();
        await client.Images.PushImageAsync(repository, new ImagePushParameters { Tag = tag }, new AuthConfig(),
            new Progress<JSONMessage>(m => { if (m.Error?.Message is { } e) errors.Add(e); }));
        if (errors.Count > 0) throw new InvalidOperationException($"push of {repository}:{tag} failed: {string.Join("; ", errors)}");
        var inspected = await client.Images.InspectImageAsync($"{repository}:{tag}");
        return inspected.RepoDigests.Single(d => d.StartsWith(repository + "@", StringComparison.Ordinal));
    }

    /// <summary>The platform's local base, pushed to <paramref name="registryHost"/>; returns it by digest.</summary>
    static async Task<string> EnsureBaseImageAsync(string registryHost, ILogger log)
    {
        var host = new SystemHost();
        var apt = new AptInstaller(host, log, allowInstall: false);
        using var client = new RegistryClient(log);
        var provider = new BaseImageProvider(new LocalBaseImageBuilder(host, apt, log), client, log);
        var platformDirectory = Path.Combine(Processes.RepositoryRoot(), ".nuke", "platform");
        var state = await provider.EnsureAsync(BaseImageMode.Local, registryHost, platformDirectory);
        return state.Reference.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (docker is not null)
        {
            var images = await docker.Images.ListImagesAsync(new ImagesListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"{TestLabel}={LabelValue}"] = true } },
            });
            foreach (var image in images)
            {
                try { await docker.Images.DeleteImageAsync(image.ID, new ImageDeleteParameters { Force = true }); }
                catch (DockerApiException) { }
            }
            // The base came into the engine by digest from this run's registry: drop that name (the cache is the OCI layout).
            if (baseImage is not null)
            {
                try { await docker.Images.DeleteImageAsync(baseImage, new ImageDeleteParameters { Force = true }); }
                catch (DockerApiException) { }
            }
            docker.Dispose();
        }
        if (registry is not null) await registry.DisposeAsync();
        if (workDirectory is not null) Directory.Delete(workDirectory, recursive: true);
        building.Dispose();
    }
}
