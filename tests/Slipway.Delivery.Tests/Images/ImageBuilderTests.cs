using Slipway.Delivery.ContainerTesting;
using Slipway.Delivery.Docker;
using Slipway.Delivery.Images;
using Slipway.Delivery.Tests.Registry;

namespace Slipway.Delivery.Tests.Images;

/// <summary>Both builders against the real Docker engine and a throw-away registry holding a test base image.</summary>
[Trait("Tier", "Engine")]
[Collection(ImageCollection.Name)]
public sealed class ImageBuilderTests(ImageTestEnvironment environment)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(ImageBuilderKind.Sdk)]
    [InlineData(ImageBuilderKind.Docker)]
    public async Task Builds_a_runnable_non_root_image_with_the_oci_labels_and_records_image_json(ImageBuilderKind builder)
    {
        var artifacts = environment.NewArtifactsDirectory();

        var image = await ImageBuilds.BuildAsync(environment.Request(builder, artifacts), new TestLog().Logger, Ct);

        using var docker = await DockerEngine.ConnectAsync(cancellationToken: Ct);
        var inspected = await docker.Images.InspectImageAsync(image.LocalImageId, Ct);
        Assert.NotNull(inspected.Config);
        Assert.Equal("1654", inspected.Config.User);
        var labels = inspected.Config.Labels!;
        Assert.Equal("https://example.invalid/slipway/image-test-service", labels[OciLabels.Source]);
        Assert.Equal(environment.Version.Commit, labels[OciLabels.Revision]);
        Assert.Equal(environment.Version.Version, labels[OciLabels.Version]);
        Assert.Equal("2026-05-06T07:08:09Z", labels[OciLabels.Created]);
        Assert.Equal("image-test-service", labels[OciLabels.Title]);
        Assert.Contains($"{environment.RegistryHost}/image-test-service:1.4.1-alpha.0.3", inspected.RepoTags);
        Assert.Contains($"{environment.RegistryHost}/image-test-service:sha-0123456", inspected.RepoTags);

        var manifest = await ImageManifestFile.ReadAsync(Path.Combine(artifacts, "image.json"), Ct);
        Assert.Equal($"{environment.RegistryHost}/image-test-service", manifest.Repository);
        Assert.Equal(image.Digest, manifest.Digest);
        Assert.Equal(image.Layout.Manifest.Digest, manifest.Digest);
        Assert.Equal($"{environment.RegistryHost}/image-test-service@{image.Digest}", manifest.Reference);
        Assert.Equal(["1.4.1-alpha.0.3", "sha-0123456"], manifest.Tags);
        Assert.Equal(builder.ToString().ToLowerInvariant(), manifest.Builder);
        Assert.Equal(inspected.ID, manifest.LocalImageId);
        Assert.Equal("2026-05-06T07:08:09Z", manifest.CommitTime);
        var recorded = await ImageManifestFile.ReadBuiltImageAsync(Path.Combine(artifacts, "image.json"), Ct);
        Assert.Equal(image.Reference, recorded.Reference);
        Assert.Equal(image.Version.Commit, recorded.Version.Commit);
        Assert.Equal(image.Version.CommitTime, recorded.Version.CommitTime);
        Assert.Equal(image.Layout.Manifest, recorded.Layout.Manifest);

        // Runnable: it starts, gets ready and answers /healthz (a tiny load keeps this quick).
        var report = await ContainerTestSuite.RunAsync(image, new ContainerTestOptions { ArtifactsDirectory = artifacts, LoadRequests = 20, LoadConcurrency = 2 },
            new TestLog().Logger, Ct);
        Assert.Contains(report.Checks, check => check.Name == "/healthz answers 200" && check.Passed);
    }

    [Fact]
    public async Task The_sdk_builder_gives_the_same_digest_for_the_same_commit()
    {
        var project = environment.CopyService();
        var first = await ImageBuilds.BuildAsync(environment.Request(ImageBuilderKind.Sdk, environment.NewArtifactsDirectory(), project), new TestLog().Logger, Ct);
        // A clean second build of the same sources: nothing may leak from the clock or the first build.
        Directory.Delete(Path.Combine(Path.GetDirectoryName(project)!, "bin"), recursive: true);
        Directory.Delete(Path.Combine(Path.GetDirectoryName(project)!, "obj"), recursive: true);
        var second = await ImageBuilds.BuildAsync(environment.Request(ImageBuilderKind.Sdk, environment.NewArtifactsDirectory(), project), new TestLog().Logger, Ct);

        Assert.Equal(first.Digest, second.Digest);
        Assert.Equal(first.LocalImageId, second.LocalImageId);
    }

    [Fact]
    public async Task A_failing_dockerfile_step_is_a_failure_quoting_the_engine()
    {
        // The test base has no shell, so RUN cannot start: the engine says so in the build stream, not as an HTTP error.
        var project = environment.CopyService("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN echo never\n");

        var error = await Assert.ThrowsAsync<ImageBuildException>(() =>
            ImageBuilds.BuildAsync(environment.Request(ImageBuilderKind.Docker, environment.NewArtifactsDirectory(), project), new TestLog().Logger, Ct));

        Assert.Contains("Docker build", error.Message);
        Assert.Contains("/bin/sh", error.Message);
    }

    [Fact]
    public async Task A_missing_base_image_is_a_failure_quoting_the_engine()
    {
        var missing = Slipway.Delivery.Oci.ImageReference.Parse($"{environment.RegistryHost}/slipway-test/no-such-base:1");

        var error = await Assert.ThrowsAsync<ImageBuildException>(() =>
            ImageBuilds.BuildAsync(environment.Request(ImageBuilderKind.Docker, environment.NewArtifactsDirectory(), baseImage: missing), new TestLog().Logger, Ct));

        Assert.Contains("no-such-base", error.Message);
    }

    [Fact]
    public async Task A_missing_dockerfile_is_a_clear_error()
    {
        var project = environment.CopyService();
        File.Delete(Path.Combine(Path.GetDirectoryName(project)!, "Dockerfile"));

        var error = await Assert.ThrowsAsync<ImageBuildException>(() =>
            ImageBuilds.BuildAsync(environment.Request(ImageBuilderKind.Docker, environment.NewArtifactsDirectory(), project), new TestLog().Logger, Ct));

        Assert.Contains("needs a Dockerfile", error.Message);
    }
}
