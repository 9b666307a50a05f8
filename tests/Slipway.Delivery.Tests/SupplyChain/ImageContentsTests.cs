using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Slipway.Delivery.Oci;
using Slipway.Delivery.SupplyChain;

namespace Slipway.Delivery.Tests.SupplyChain;

/// <summary>The SBOM's components come from the image's own layers: the app's deps.json and the base's dpkg status.</summary>
public sealed class ImageContentsTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("slipway-image-contents-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private const string DepsJson = """
        {"libraries":{"Beacon/1.0.0":{"type":"project"},"Serilog/4.3.0":{"type":"package"},"runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/10.0.1":{"type":"runtimepack"}}}
        """;

    private async Task<string> LayerAsync(string name, params (string Path, string Text)[] files)
    {
        var path = Path.Combine(directory, name + ".tar.gz");
        await using (var file = File.Create(path))
        await using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        await using (var tar = new TarWriter(gzip))
        {
            foreach (var (entryPath, text) in files)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, entryPath) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) };
                await tar.WriteEntryAsync(entry, TestContext.Current.CancellationToken);
            }
        }
        return path;
    }

    private async Task<OciImageLayout> LayoutAsync(params string[] layers) =>
        await OciImageLayout.CreateAsync(Path.Combine(directory, "layout"),
            Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","config":{}}"""), layers, ct: TestContext.Current.CancellationToken);

    [Fact]
    public async Task A_distroless_base_s_status_directory_gives_the_debian_packages_with_versions_and_the_app_its_nuget_packages()
    {
        var baseLayer = await LayerAsync("base",
            ("./var/lib/dpkg/status.d/libc6", "Package: libc6\nVersion: 2.36-9+deb12u9\nArchitecture: amd64\n"),
            ("./var/lib/dpkg/status.d/tzdata", "Package: tzdata\nVersion: 2024b-0+deb12u1\nArchitecture: all\n"));
        var appLayer = await LayerAsync("app", ("app/Beacon.deps.json", DepsJson), ("app/sub/Other.deps.json", "{}"));

        var components = await ImageContents.ReadComponentsAsync(await LayoutAsync(baseLayer, appLayer), [], TestContext.Current.CancellationToken);

        Assert.Contains(components, c => c.Name == "libc6" && c.Version == "2.36-9+deb12u9" && c.Purl.StartsWith("pkg:deb/debian/libc6@", StringComparison.Ordinal));
        Assert.Contains(components, c => c.Name == "tzdata" && c.Version == "2024b-0+deb12u1");
        Assert.Contains(components, c => c.Purl == "pkg:nuget/Serilog@4.3.0");
        Assert.Contains(components, c => c.Name == "Microsoft.NETCore.App.Runtime.linux-x64" && c.Version == "10.0.1");
        Assert.DoesNotContain(components, c => c.Name == "Beacon");
    }

    [Fact]
    public async Task Without_any_dpkg_status_the_recipe_s_packages_stand_in_by_name()
    {
        var appLayer = await LayerAsync("app", ("app/Beacon.deps.json", DepsJson));
        var recipe = new[] { SbomComponent.Debian("libssl3", null, "amd64") };

        var components = await ImageContents.ReadComponentsAsync(await LayoutAsync(appLayer), recipe, TestContext.Current.CancellationToken);

        Assert.Contains(recipe[0], components);
    }

    [Fact]
    public async Task An_image_without_a_published_app_is_a_clear_error()
    {
        var baseLayer = await LayerAsync("base", ("./var/lib/dpkg/status.d/libc6", "Package: libc6\nVersion: 2.36\n"));

        var layout = await LayoutAsync(baseLayer);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ImageContents.ReadComponentsAsync(layout, [], TestContext.Current.CancellationToken));

        Assert.Contains("/app/*.deps.json", error.Message);
    }
}
