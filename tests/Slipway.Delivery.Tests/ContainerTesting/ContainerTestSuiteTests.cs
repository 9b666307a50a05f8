using System.Formats.Tar;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;
using Slipway.Delivery.ContainerTesting;
using Slipway.Delivery.Docker;
using Slipway.Delivery.Images;
using Slipway.Delivery.Tests.Images;
using Slipway.Delivery.Tests.Registry;

namespace Slipway.Delivery.Tests.ContainerTesting;

/// <summary>The container test suite against real containers of a good image and of deliberately bad ones.</summary>
[Trait("Tier", "Engine")]
[Collection(ImageCollection.Name)]
public sealed class ContainerTestSuiteTests(ImageTestEnvironment environment) : IAsyncDisposable
{
    // Images a test derives from the shared good image; removed after that test, so no test finds the good image
    // with children (which the engine refuses to delete) whatever order the tests run in.
    private readonly List<string> derivedTags = [];

    public async ValueTask DisposeAsync()
    {
        if (derivedTags.Count == 0) return;
        using var docker = await DockerEngine.ConnectAsync();
        foreach (var tag in derivedTags)
        {
            try
            {
                await docker.Images.DeleteImageAsync(tag, new ImageDeleteParameters { Force = true });
            }
            catch (DockerImageNotFoundException)
            {
            }
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_good_image_passes_every_check_and_its_container_is_removed()
    {
        var image = await environment.GoodImageAsync();
        var artifacts = environment.NewArtifactsDirectory();

        var report = await ContainerTestSuite.RunAsync(image, new ContainerTestOptions { ArtifactsDirectory = artifacts }, new TestLog().Logger, Ct);

        Assert.True(report.Passed, string.Join("; ", report.Failures.Select(f => $"{f.Name}: {f.Detail}")));
        Assert.Equal(
            [CheckCategory.Functional, CheckCategory.Security, CheckCategory.Compliance, CheckCategory.Performance],
            report.Checks.Select(c => c.Category).Distinct().Order());
        Assert.Contains(report.Checks, c => c.Name.Contains("/version") && c.Passed);
        Assert.NotNull(report.Load);
        Assert.Equal(2_000, report.Load.Requests);
        Assert.Equal(0, report.Load.Errors);
        Assert.True(report.Load.P50Ms <= report.Load.P95Ms && report.Load.P95Ms <= report.Load.P99Ms);
        Assert.True(report.ContainerRemoved);
        await AssertContainerGoneAsync(report.ContainerId!);

        var json = await File.ReadAllTextAsync(Path.Combine(artifacts, ContainerTestReport.FileName), Ct);
        Assert.Contains("\"passed\": true", json);
        Assert.Contains("\"p95Ms\"", json);
        Assert.Contains("runs as non-root", report.ToText());
    }

    [Fact]
    public async Task A_root_image_with_a_secret_variable_and_key_file_fails_and_its_container_is_removed()
    {
        var good = await environment.GoodImageAsync();
        var badId = await DeriveAsync(good, "USER 0\nENV API_SECRET=do-not-ship\nCOPY id_rsa /app/.ssh/id_rsa\nCOPY .env /app/.env\n",
            ("id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a real key\n-----END OPENSSH PRIVATE KEY-----\n"), (".env", "DB_PASSWORD=x\n"));
        var bad = good with { LocalImageId = badId };
        var log = new TestLog();

        var failure = await Assert.ThrowsAsync<ContainerTestFailedException>(() =>
            ContainerTestSuite.RunAsync(bad, new ContainerTestOptions { ArtifactsDirectory = environment.NewArtifactsDirectory(), LoadRequests = 50 }, log.Logger, Ct));

        var failed = failure.Report.Failures.Select(f => f.Name).ToList();
        Assert.Contains("runs as non-root", failed);
        Assert.Contains("no secret-looking environment variables", failed);
        Assert.Contains("no secret-looking files", failed);
        var files = failure.Report.Checks.Single(c => c.Name == "no secret-looking files").Detail;
        Assert.Contains("/app/.ssh/id_rsa", files);
        Assert.Contains("/app/.env", files);
        Assert.Contains("API_SECRET", failure.Message);
        Assert.DoesNotContain(log.Lines, line => line.Contains("do-not-ship"));
        Assert.True(failure.Report.ContainerRemoved);
        await AssertContainerGoneAsync(failure.Report.ContainerId!);
    }

    [Fact]
    public async Task A_container_that_cannot_start_fails_and_is_removed()
    {
        var good = await environment.GoodImageAsync();
        var brokenId = await DeriveAsync(good, "ENTRYPOINT [\"/app/no-such-program\"]\n");

        var failure = await Assert.ThrowsAsync<ContainerTestFailedException>(() =>
            ContainerTestSuite.RunAsync(good with { LocalImageId = brokenId },
                new ContainerTestOptions { ArtifactsDirectory = environment.NewArtifactsDirectory(), ReadyTimeout = TimeSpan.FromSeconds(20) }, new TestLog().Logger, Ct));

        Assert.Contains(failure.Report.Failures, f => f.Name == "container starts" && f.Detail.Contains("no-such-program"));
        Assert.Null(failure.Report.Load);
        await AssertContainerGoneAsync(failure.Report.ContainerId!);
    }

    [Fact]
    public async Task A_container_that_never_gets_ready_fails_within_the_bound_and_is_removed()
    {
        var image = await environment.GoodImageAsync();

        var failure = await Assert.ThrowsAsync<ContainerTestFailedException>(() => ContainerTestSuite.RunAsync(image, new ContainerTestOptions
        {
            ArtifactsDirectory = environment.NewArtifactsDirectory(),
            ReadyTimeout = TimeSpan.FromSeconds(5),
            Environment = new Dictionary<string, string> { ["IMAGE_TEST_UNREADY"] = "1" },
        }, new TestLog().Logger, Ct));

        var readiness = Assert.Single(failure.Report.Failures);
        Assert.StartsWith("/readyz ready within 5s", readiness.Name);
        Assert.Contains("503", readiness.Detail);
        Assert.Null(failure.Report.Load);
        Assert.True(failure.Report.ContainerRemoved);
        await AssertContainerGoneAsync(failure.Report.ContainerId!);
    }

    [Fact]
    public async Task An_image_missing_from_the_engine_is_loaded_from_its_oci_layout()
    {
        var image = await environment.GoodImageAsync();
        using (var docker = await DockerEngine.ConnectAsync(cancellationToken: Ct))
            await docker.Images.DeleteImageAsync(image.LocalImageId, new ImageDeleteParameters { Force = true }, Ct);

        var report = await ContainerTestSuite.RunAsync(image,
            new ContainerTestOptions { ArtifactsDirectory = environment.NewArtifactsDirectory(), LoadRequests = 20 }, new TestLog().Logger, Ct);

        Assert.True(report.Passed, string.Join("; ", report.Failures.Select(f => $"{f.Name}: {f.Detail}")));
        Assert.Equal(image.LocalImageId, report.LocalImageId);
    }

    [Fact]
    public async Task A_p95_over_budget_fails_the_performance_check()
    {
        var image = await environment.GoodImageAsync();

        var report = await ContainerTestSuite.RunAsync(image, new ContainerTestOptions
        {
            ArtifactsDirectory = environment.NewArtifactsDirectory(), LoadRequests = 50, P95Budget = TimeSpan.Zero, ThrowOnFailure = false,
        }, new TestLog().Logger, Ct);

        Assert.False(report.Passed);
        Assert.Equal([CheckCategory.Performance], report.Failures.Select(f => f.Category));
        Assert.True(report.ContainerRemoved);
    }

    /// <summary>Builds an image FROM <paramref name="image"/> with extra Dockerfile lines (no shell needed); returns its id.</summary>
    private async Task<string> DeriveAsync(BuiltImage image, string lines, params (string Name, string Content)[] files)
    {
        using var context = new MemoryStream();
        await using (var writer = new TarWriter(context, TarEntryFormat.Gnu, leaveOpen: true))
        {
            foreach (var (name, content) in files.Prepend(("Dockerfile", $"FROM {image.LocalImageId}\n{lines}")))
                await writer.WriteEntryAsync(new GnuTarEntry(TarEntryType.RegularFile, name)
                {
                    Mode = (UnixFileMode)Convert.ToInt32("644", 8), DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                }, Ct);
        }
        context.Position = 0;
        using var docker = await DockerEngine.ConnectAsync(cancellationToken: Ct);
        var tag = $"{environment.RegistryHost}/derived:{Guid.NewGuid():N}";
        derivedTags.Add(tag);
        var progress = new DockerProgress(new TestLog().Logger, "build");
        await docker.Images.BuildImageFromDockerfileAsync(new ImageBuildParameters { Tags = [tag], Remove = true, ForceRemove = true },
            context, null, null, progress, Ct);
        progress.ThrowIfFailed("Deriving a test image");
        return (await docker.Images.InspectImageAsync(tag, Ct)).ID;
    }

    private static async Task AssertContainerGoneAsync(string containerId)
    {
        using var docker = await DockerEngine.ConnectAsync(cancellationToken: Ct);
        await Assert.ThrowsAsync<DockerContainerNotFoundException>(() => docker.Containers.InspectContainerAsync(containerId, Ct));
    }
}
