using System.Diagnostics;
using System.Formats.Tar;
using Slipway.Delivery.Oci;
using Slipway.Delivery.Registry;
using Slipway.Testing;
using Slipway.Delivery.Tests.Oci;

namespace Slipway.Delivery.Tests.Registry;

/// <summary>
/// Figures, not pass/fail: layout creation, cold push, repeated push and pull of a ~48 MB image against a local registry.
/// Explicit; to see the figures run the test executable with live output:
/// `tests/Slipway.Delivery.Tests/bin/Debug/net10.0/Slipway.Delivery.Tests -class Slipway.Delivery.Tests.Registry.RegistryBenchmarks -explicit only -showLiveOutput`.
/// </summary>
[Trait("Tier", "Engine")]
public sealed class RegistryBenchmarks(SharedRegistry sharedRegistry) : IAsyncLifetime
{
    private RegistryFixture registry = null!; // the assembly's registry, set by InitializeAsync
    private const int Layers = 3;
    private const int LayerBytes = 16 * 1024 * 1024;

    private readonly TempDirectory temp = new();

    public async ValueTask InitializeAsync() => registry = await sharedRegistry.StartAsync();

    public ValueTask DisposeAsync()
    {
        temp.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact(Explicit = true)]
    public async Task Push_and_pull_figures()
    {
        var ct = TestContext.Current.CancellationToken;
        var output = TestContext.Current.TestOutputHelper!;
        var random = new Random(42);   // seeded: the same bytes on every run, incompressible like a published app
        var gzipped = new List<GzippedLayer>();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < Layers; i++)
        {
            var content = new byte[LayerBytes];
            random.NextBytes(content);
            var tar = temp.Combine($"layer{i}.tar");
            await using (var stream = File.Create(tar))
            await using (var writer = new TarWriter(stream, TarEntryFormat.Pax))
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, $"data{i}.bin")
                    { DataStream = new MemoryStream(content), ModificationTime = DateTimeOffset.UnixEpoch }, ct);
            gzipped.Add(await OciLayer.GzipDeterministicAsync(tar, tar + ".gz", ct));
        }
        var layout = await OciImageLayout.CreateAsync(temp.Combine("layout"), TestImages.Config([.. gzipped.Select(layer => layer.DiffId)]),
            [.. gzipped.Select(layer => layer.Path)], ct: ct);
        var create = watch.Elapsed;
        var totalMb = layout.Layers.Sum(layer => layer.Size) / 1024.0 / 1024.0;

        using var client = new RegistryClient(Serilog.Core.Logger.None, _ => null);
        var repository = ImageReference.Parse($"{registry.Host}/benchmark");
        watch.Restart();
        var cold = await client.PushAsync(layout, repository, ["1"], ct);
        var coldPush = watch.Elapsed;
        watch.Restart();
        var warm = await client.PushAsync(layout, repository, ["1", "2"], ct);
        var warmPush = watch.Elapsed;
        watch.Restart();
        await client.PullAsync(cold.Pushed, temp.Combine("pulled"), ct);
        var pull = watch.Elapsed;

        output.WriteLine($"image: {Layers} layers, {totalMb:0.0} MB compressed");
        output.WriteLine($"gzip + layout create: {create.TotalSeconds:0.00}s");
        output.WriteLine($"cold push:            {coldPush.TotalSeconds:0.00}s ({totalMb / coldPush.TotalSeconds:0} MB/s, {cold.BlobsUploaded} blobs)");
        output.WriteLine($"repeated push:        {warmPush.TotalMilliseconds:0}ms (uploaded {warm.BlobsUploaded} blobs, already present: {warm.AlreadyPresent})");
        output.WriteLine($"pull by digest:       {pull.TotalSeconds:0.00}s ({totalMb / pull.TotalSeconds:0} MB/s)");
        Assert.True(warm.AlreadyPresent);
    }
}
