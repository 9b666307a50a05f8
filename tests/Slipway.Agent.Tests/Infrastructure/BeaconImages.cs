using System.Formats.Tar;
using Docker.DotNet;
using Docker.DotNet.Models;
using Slipway.Delivery.Docker;
using Slipway.Testing;

[assembly: AssemblyFixture(typeof(Slipway.Agent.Tests.Infrastructure.BeaconImages))]

namespace Slipway.Agent.Tests.Infrastructure;

/// <summary>
/// Two runnable Beacon images (variants "a" and "b": same app, different image config, so different digests) pushed
/// to a throw-away registry, so manifests pin them by digest and the agent pulls them as it would in production.
/// The base is a minimal Debian rootfs made once with mmdebstrap and cached as <see cref="BaseImage"/>.
/// </summary>
public sealed class BeaconImages : IAsyncLifetime
{
    public const string BaseImage = "slipway-test/base:agent";
    public const string TestLabel = "slipway-test";

    readonly string runId = Guid.NewGuid().ToString("N")[..8];
    RegistryFixture? registry;
    DockerClient? docker;
    string? workDirectory;

    public string ImageA { get; private set; } = "";
    public string ImageB { get; private set; } = "";
    public string LabelValue => $"agent-{runId}";

    public async ValueTask InitializeAsync()
    {
        var log = TestLogger.Create("fixture");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        docker = await DockerEngine.ConnectAsync();
        registry = await RegistryFixture.StartAsync();
        workDirectory = Directory.CreateTempSubdirectory("slipway-agent-images-").FullName;
        await EnsureBaseImageAsync(docker, workDirectory);
        log.Information("Base image ready at {Seconds:0.0}s", clock.Elapsed.TotalSeconds);

        var publish = Path.Combine(workDirectory, "app");
        await Processes.RunAsync("dotnet", ["publish", Path.Combine(Processes.RepositoryRoot(), "src", "Beacon"), "-c", "Release", "-r", "linux-x64",
            "--self-contained", "-o", publish, "-p:DebugType=none"]);
        log.Information("Beacon published at {Seconds:0.0}s", clock.Elapsed.TotalSeconds);
        // Variant b is a only relabelled: same layers, another image config, another digest — built without a context upload.
        var repository = $"{registry!.Host}/slipway-agent-test/beacon";
        await BuildAsync(docker, $"{repository}:a-{runId}", $"FROM {BaseImage}\nCOPY app/ /app/\n", publish, "a");
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

    /// <summary>The minimal rootfs: Debian's essential set plus what a self-contained .NET app needs (libstdc++, zlib).</summary>
    static async Task EnsureBaseImageAsync(DockerClient client, string workDirectory)
    {
        try
        {
            await client.Images.InspectImageAsync(BaseImage);
            return;
        }
        catch (DockerImageNotFoundException)
        {
        }
        var rootfs = Path.Combine(workDirectory, "rootfs.tar");
        await Processes.RunAsync("mmdebstrap", ["--variant=essential", "--include=libstdc++6,zlib1g,ca-certificates", "bookworm", rootfs, AptMirror()]);
        await using var tar = File.OpenRead(rootfs);
        var separator = BaseImage.LastIndexOf(':');
        await client.Images.CreateImageAsync(new ImagesCreateParameters { FromSrc = "-", Repo = BaseImage[..separator], Tag = BaseImage[(separator + 1)..] },
            tar, new AuthConfig(), new Progress<JSONMessage>());
    }

    /// <summary>The host's Debian mirror (the first bookworm archive in its apt sources, not security nor third-party repos).</summary>
    static string AptMirror()
    {
        var files = (Directory.Exists("/etc/apt/sources.list.d") ? Directory.GetFiles("/etc/apt/sources.list.d") : [])
            .Concat(File.Exists("/etc/apt/sources.list") ? ["/etc/apt/sources.list"] : []);
        var candidates = files.SelectMany(File.ReadLines)
            .Select(line => line.Trim())
            .SelectMany(line => line.StartsWith("URIs:", StringComparison.Ordinal) ? line["URIs:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                : line.StartsWith("deb ", StringComparison.Ordinal) ? line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(p => p.Contains("://", StringComparison.Ordinal))
                : []);
        return candidates.FirstOrDefault(uri => uri.TrimEnd('/').EndsWith("/debian", StringComparison.Ordinal)) ?? "http://deb.debian.org/debian";
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
            docker.Dispose();
        }
        if (registry is not null) await registry.DisposeAsync();
        if (workDirectory is not null) Directory.Delete(workDirectory, recursive: true);
    }
}
