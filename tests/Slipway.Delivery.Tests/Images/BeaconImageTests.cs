using System.Diagnostics;
using System.Globalization;
using System.Text;
using Docker.DotNet.Models;
using Slipway.Delivery.ContainerTesting;
using Slipway.Delivery.Docker;
using Slipway.Delivery.Images;
using Slipway.Delivery.Tests.Registry;

namespace Slipway.Delivery.Tests.Images;

/// <summary>Beacon itself through both builders and the whole container test suite; plus the builders' benchmark (explicit).</summary>
[Trait("Tier", "Engine")]
[Collection(ImageCollection.Name)]
public sealed class BeaconImageTests(ImageTestEnvironment environment)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ImageBuildRequest Request(BeaconCopy beacon, ImageBuilderKind builder, string artifacts, bool trimmed = false) =>
        new(new ServiceProject(beacon.Project, "beacon"), environment.Version, environment.BaseImage, environment.RegistryHost, artifacts,
            ImageTestEnvironment.TestSourceUrl, builder, trimmed);

    [Theory]
    [InlineData(ImageBuilderKind.Sdk)]
    [InlineData(ImageBuilderKind.Docker)]
    public async Task Beacon_built_by_each_builder_passes_the_container_test_suite(ImageBuilderKind builder)
    {
        using var beacon = new BeaconCopy();
        var artifacts = environment.NewArtifactsDirectory();

        var image = await ImageBuilds.BuildAsync(Request(beacon, builder, artifacts), new TestLog().Logger, Ct);
        var report = await ContainerTestSuite.RunAsync(image, new ContainerTestOptions { ArtifactsDirectory = artifacts, ThrowOnFailure = false },
            new TestLog().Logger, Ct);

        Assert.True(report.Passed, string.Join("; ", report.Failures.Select(f => $"{f.Name}: {f.Detail}")));
    }

    /// <summary>
    /// The builders' figures for build/bench/images.sh: each builder cold (no bin/obj, fresh engine cache for its image)
    /// and after a one-line change, and the image sizes. Prints; asserts nothing about speed.
    /// </summary>
    [Fact(Explicit = true)]
    public async Task Benchmark_sdk_against_docker_on_beacon()
    {
        var figures = new StringBuilder();
        figures.AppendLine(CultureInfo.InvariantCulture, $"{"builder",-8} {"cold (s)",9} {"1-line change (s)",18} {"compressed (MB)",16} {"in engine (MB)",15}  digest");
        using var docker = await DockerEngine.ConnectAsync(cancellationToken: Ct);
        foreach (var builder in new[] { ImageBuilderKind.Sdk, ImageBuilderKind.Docker })
        {
            using var beacon = new BeaconCopy();
            beacon.Clean();
            var cold = Stopwatch.StartNew();
            await ImageBuilds.BuildAsync(Request(beacon, builder, environment.NewArtifactsDirectory()), new TestLog().Logger, Ct);
            cold.Stop();

            beacon.ChangeOneLine();
            var warm = Stopwatch.StartNew();
            var image = await ImageBuilds.BuildAsync(Request(beacon, builder, environment.NewArtifactsDirectory()), new TestLog().Logger, Ct);
            warm.Stop();

            var compressed = image.Layout.Layers.Sum(layer => layer.Size) + image.Layout.Config.Size;
            var inspected = await docker.Images.InspectImageAsync(image.LocalImageId, Ct);
            figures.AppendLine(CultureInfo.InvariantCulture,
                $"{builder.ToString().ToLowerInvariant(),-8} {cold.Elapsed.TotalSeconds,9:0.0} {warm.Elapsed.TotalSeconds,18:0.0} {compressed / 1e6,16:0.0} {inspected.Size / 1e6,15:0.0}  {image.Digest[..19]}");
        }
        var output = Environment.GetEnvironmentVariable("SLIPWAY_BENCH_OUTPUT") ?? Path.Combine(environment.Root, "bench-images.txt");
        await File.WriteAllTextAsync(output, figures.ToString(), Ct);
        TestContext.Current.TestOutputHelper?.WriteLine(figures.ToString());
    }
}
