using System.Diagnostics;
using System.Globalization;
using Docker.DotNet;
using Docker.DotNet.Models;
using Slipway.Delivery.Docker;
using Slipway.Delivery.Images;

namespace Slipway.Delivery.ContainerTesting;

/// <summary>
/// Tests a built image as a running container: functional, security, compliance and performance checks.
/// The container's port is published on 127.0.0.1 only (a random host port); the container is labelled
/// <c>slipway.test=container-test</c> and removed afterwards, also when a check or the suite itself fails.
/// </summary>
public static class ContainerTestSuite
{
    public const string ContainerLabel = "slipway.test";
    public const string ContainerLabelValue = "container-test";

    public static async Task<ContainerTestReport> RunAsync(BuiltImage image, ContainerTestOptions options, Serilog.ILogger log, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var startedAt = DateTimeOffset.UtcNow;
        var stopwatch = Stopwatch.StartNew();
        var checks = new List<ContainerCheck>();
        LoadFigures? load = null;
        string? containerId = null;
        var removed = false;

        using var docker = await DockerEngine.ConnectAsync(cancellationToken: cancellationToken);
        var inspected = await EnsureImageAsync(docker, image, log, cancellationToken);
        var manifestPath = ImageManifestFile.PathIn(options.ArtifactsDirectory);
        var manifest = File.Exists(manifestPath) ? await ImageManifestFile.ReadAsync(manifestPath, cancellationToken) : null;
        checks.AddRange(ImageChecks.Run(image, inspected, manifest));

        var port = options.ContainerPort ?? ExposedPort(inspected) ?? 8080;
        try
        {
            containerId = await CreateAsync(docker, image, options, port, cancellationToken);
            var startFailure = await StartAsync(docker, containerId, cancellationToken);
            if (startFailure is not null) checks.Add(startFailure);
            else
            {
                var hostPort = await HostPortAsync(docker, containerId, port, cancellationToken);
                var baseAddress = new Uri($"http://127.0.0.1:{hostPort}");
                log.Information("Container {Container} of {Image} runs as {User}, port {Port} published on {Address}",
                    containerId[..12], image.LocalImageId, inspected.Config?.User, port, baseAddress);

                using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = options.LoadConcurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
                using var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };

                var ready = await WaitReadyAsync(docker, http, containerId, options, cancellationToken);
                checks.Add(ready);
                if (ready.Passed)
                {
                    checks.AddRange(await FunctionalChecks.RunAsync(http, image, options, cancellationToken));
                    var (figures, performance) = await LoadProbe.RunAsync(http, options, cancellationToken);
                    load = figures;
                    checks.Add(performance);
                }
                else
                {
                    log.Warning("Container output:{NewLine}{Logs}", Environment.NewLine, await LogsAsync(docker, containerId, cancellationToken));
                }
            }
            checks.Add(await FilesystemScan.RunAsync(docker, containerId, cancellationToken));
        }
        finally
        {
            if (containerId is not null) removed = await RemoveAsync(docker, containerId, log);
        }

        var report = new ContainerTestReport(image.Reference.ToString(), image.LocalImageId, containerId, checks, load, startedAt, stopwatch.Elapsed, removed);
        await report.WriteAsync(Path.Combine(options.ArtifactsDirectory, ContainerTestReport.FileName), cancellationToken);
        if (!report.Passed && options.ThrowOnFailure) throw new ContainerTestFailedException(report);
        return report;
    }

    /// <summary>Starts the container; an entrypoint the engine cannot start (missing binary, bad user) is a failed check, not a crash.</summary>
    private static async Task<ContainerCheck?> StartAsync(DockerClient docker, string containerId, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Containers.StartContainerAsync(containerId, new ContainerStartParameters(), cancellationToken);
            return null;
        }
        catch (DockerApiException exception)
        {
            return new ContainerCheck(CheckCategory.Functional, "container starts", false, exception.ResponseBody ?? exception.Message);
        }
    }

    /// <summary>The image in the local engine; loaded from the build's OCI layout when the engine does not hold it.</summary>
    private static async Task<ImageInspectResponse> EnsureImageAsync(DockerClient docker, BuiltImage image, Serilog.ILogger log, CancellationToken cancellationToken)
    {
        try
        {
            return await docker.Images.InspectImageAsync(image.LocalImageId, cancellationToken);
        }
        catch (DockerImageNotFoundException)
        {
            log.Information("Image {ImageId} is not in the Docker engine; loading it from {Layout}", image.LocalImageId, image.Layout.Directory);
            var id = await DockerArchive.LoadAsync(docker, image.Layout, [image.LocalName], Path.Combine(image.Layout.Directory, ".."), log, cancellationToken);
            return await docker.Images.InspectImageAsync(id, cancellationToken);
        }
    }

    private static int? ExposedPort(ImageInspectResponse inspected) =>
        inspected.Config?.ExposedPorts?.Keys
            .Where(key => key.EndsWith("/tcp", StringComparison.Ordinal))
            .Select(key => int.TryParse(key.Split('/')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : (int?)null)
            .FirstOrDefault(p => p is not null);

    private static async Task<string> CreateAsync(DockerClient docker, BuiltImage image, ContainerTestOptions options, int port, CancellationToken cancellationToken)
    {
        var portKey = $"{port.ToString(CultureInfo.InvariantCulture)}/tcp";
        var created = await docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = image.LocalImageId,
            Labels = new Dictionary<string, string> { [ContainerLabel] = ContainerLabelValue, ["slipway.image"] = image.Reference.ToString() },
            Env = options.Environment.Select(pair => $"{pair.Key}={pair.Value}").ToList(),
            ExposedPorts = new Dictionary<string, EmptyStruct> { [portKey] = default },
            HostConfig = new HostConfig
            {
                // 127.0.0.1 only, on a port the engine picks: several test runs share this machine.
                PortBindings = new Dictionary<string, IList<PortBinding>> { [portKey] = [new PortBinding { HostIP = "127.0.0.1", HostPort = "" }] },
            },
        }, cancellationToken);
        return created.ID;
    }

    private static async Task<int> HostPortAsync(DockerClient docker, string containerId, int port, CancellationToken cancellationToken)
    {
        var key = $"{port.ToString(CultureInfo.InvariantCulture)}/tcp";
        var container = await docker.Containers.InspectContainerAsync(containerId, cancellationToken);
        var binding = container.NetworkSettings?.Ports is { } ports && ports.TryGetValue(key, out var bindings) ? bindings?.FirstOrDefault() : null;
        if (binding is null || !int.TryParse(binding.HostPort, NumberStyles.None, CultureInfo.InvariantCulture, out var hostPort))
            throw new InvalidOperationException($"The engine published no host port for container port {key}; is the container still running ({container.State?.Status})?");
        return hostPort;
    }

    private static async Task<ContainerCheck> WaitReadyAsync(DockerClient docker, HttpClient http, string containerId, ContainerTestOptions options, CancellationToken cancellationToken)
    {
        var name = $"{options.ReadinessPath} ready within {options.ReadyTimeout.TotalSeconds:0}s";
        var watch = Stopwatch.StartNew();
        FunctionalChecks.Answer? last = null;
        while (watch.Elapsed < options.ReadyTimeout)
        {
            var state = (await docker.Containers.InspectContainerAsync(containerId, cancellationToken)).State;
            if (state is { Running: false })
                return new ContainerCheck(CheckCategory.Functional, name, false, $"container stopped ({state.Status}, exit {state.ExitCode}) before it was ready");
            last = await FunctionalChecks.GetAsync(http, options.ReadinessPath, cancellationToken);
            if (last.Status == 200)
                return new ContainerCheck(CheckCategory.Functional, name, true, $"ready after {watch.Elapsed.TotalSeconds:0.0}s");
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
        return new ContainerCheck(CheckCategory.Functional, name, false, $"not ready after {options.ReadyTimeout.TotalSeconds:0}s; last answer: {last?.Describe()}");
    }

    private static async Task<string> LogsAsync(DockerClient docker, string containerId, CancellationToken cancellationToken)
    {
        try
        {
            using var stream = await docker.Containers.GetContainerLogsAsync(containerId,
                new ContainerLogsParameters { ShowStdout = true, ShowStderr = true, Tail = "50" }, cancellationToken);
            var (stdout, stderr) = await stream.ReadOutputToEndAsync(cancellationToken);
            return stdout + stderr;
        }
        catch (DockerApiException exception)
        {
            return $"(logs unavailable: {exception.Message})";
        }
    }

    private static async Task<bool> RemoveAsync(DockerClient docker, string containerId, Serilog.ILogger log)
    {
        try
        {
            // Not the caller's token: the container must go even when the run was cancelled.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await docker.Containers.RemoveContainerAsync(containerId, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, timeout.Token);
            log.Debug("Removed container {Container}", containerId[..12]);
            return true;
        }
        catch (Exception exception) when (exception is DockerApiException or HttpRequestException or OperationCanceledException)
        {
            log.Warning("Could not remove container {Container} ({Error}); find leftovers with: docker ps -a --filter label={Label}={Value}",
                containerId[..12], exception.Message, ContainerLabel, ContainerLabelValue);
            return false;
        }
    }
}
