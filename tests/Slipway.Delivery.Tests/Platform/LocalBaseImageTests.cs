using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using Slipway.Delivery.Oci;
using Slipway.Delivery.Platform;
using Slipway.Delivery.Registry;
using Slipway.Testing;

namespace Slipway.Delivery.Tests.Platform;

/// <summary>The local Debian base: real mmdebstrap, real registry (slow: each build takes a while).</summary>
[Trait("Tier", "Engine")]
[Collection(LocalBaseCollection.Name)]
public sealed class LocalBaseImageTests(LocalBaseFixture fixture)
{
    [Fact]
    public async Task The_local_base_image_is_reproducible()
    {
        var ct = TestContext.Current.CancellationToken;
        var log = TestLog.Create();
        var host = new SystemHost();
        var builder = new LocalBaseImageBuilder(host, new AptInstaller(host, log, allowInstall: false), log);
        using var first = new TempDirectory();
        // The fixture's layout: built by an earlier run (kept in the test cache) or by this run's fixture, in another directory.
        var earlier = OciImageLayout.Open(Path.Combine(BaseImageProvider.CacheDirectoryUnder(fixture.PlatformDirectory), fixture.Recipe.Tag));

        var one = await builder.BuildAsync(fixture.Recipe, Path.Combine(first.Path, "layout"), ct);

        Assert.Equal(earlier.Layers.Single().Digest, one.Layers.Single().Digest);
        Assert.Equal(earlier.Config.Digest, one.Config.Digest);
        Assert.Equal(earlier.Manifest.Digest, one.Manifest.Digest);
        Assert.Equal(fixture.ColdState.Reference.Digest, one.Manifest.Digest);
        Assert.False(Directory.Exists(Path.Combine(first.Path, "layout.build")));
    }

    [Fact]
    public void The_config_runs_as_the_non_root_app_user_with_a_fixed_creation_time()
    {
        var layout = OciImageLayout.Open(Path.Combine(BaseImageProvider.CacheDirectoryUnder(fixture.PlatformDirectory), fixture.Recipe.Tag));
        using var config = JsonDocument.Parse(layout.ReadConfigBytes());
        var root = config.RootElement;

        Assert.Equal("1654", root.GetProperty("config").GetProperty("User").GetString());
        Assert.Equal("linux", root.GetProperty("os").GetString());
        Assert.Equal("amd64", root.GetProperty("architecture").GetString());
        Assert.Equal("2025-01-01T00:00:00Z", root.GetProperty("created").GetString());
        var environment = root.GetProperty("config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("APP_UID=1654", environment);
        Assert.Contains(environment, variable => variable!.StartsWith("PATH=", StringComparison.Ordinal));
        var packages = root.GetProperty("config").GetProperty("Labels").GetProperty("org.slipway.base.packages").GetString()!;
        foreach (var package in new[] { "libc6=", "libstdc++6=", "libssl3=", "zlib1g=", "ca-certificates=", "tzdata=" })
            Assert.Contains(package, packages);
        Assert.DoesNotContain("libicu", packages);
    }

    [Fact]
    public async Task The_layer_holds_the_user_and_trust_store_and_nothing_host_specific()
    {
        var ct = TestContext.Current.CancellationToken;
        var layout = OciImageLayout.Open(Path.Combine(BaseImageProvider.CacheDirectoryUnder(fixture.PlatformDirectory), fixture.Recipe.Tag));
        var entries = new Dictionary<string, (TarEntryType Type, int Uid, int Gid, DateTimeOffset Modified, string Text)>();
        await using (var file = File.OpenRead(layout.BlobPath(layout.Layers.Single().Digest)))
        await using (var gzip = new GZipStream(file, CompressionMode.Decompress))
        await using (var tar = new TarReader(gzip))
        {
            while (await tar.GetNextEntryAsync(cancellationToken: ct) is { } entry)
            {
                var name = entry.Name.TrimStart('.').TrimEnd('/');
                var text = "";
                if (entry.DataStream is not null && name is "/etc/passwd" or "/etc/group" or "/etc/ssl/certs/ca-certificates.crt")
                    text = await new StreamReader(entry.DataStream).ReadToEndAsync(ct);
                entries[name] = (entry.EntryType, entry.Uid, entry.Gid, entry.ModificationTime, text);
            }
        }

        Assert.Contains("app:x:1654:1654::/home/app:", entries["/etc/passwd"].Text);
        Assert.Contains("app:x:1654:", entries["/etc/group"].Text);
        Assert.Equal((1654, 1654), (entries["/home/app"].Uid, entries["/home/app"].Gid));
        Assert.True(entries["/etc/ssl/certs/ca-certificates.crt"].Text.Split("BEGIN CERTIFICATE").Length > 100);
        Assert.True(entries.ContainsKey("/usr/share/zoneinfo/Europe/Paris"));
        Assert.True(entries.ContainsKey("/var/lib/dpkg/status.d/libc6"));
        Assert.True(entries.ContainsKey("/etc/os-release"));
        foreach (var absent in new[] { "/etc/resolv.conf", "/etc/hostname", "/dev/null", "/var/lib/apt", "/var/cache/apt", "/etc/apt", "/bin/sh", "/usr/bin/bash" })
            Assert.False(entries.ContainsKey(absent), $"{absent} should not be in the base");
        Assert.DoesNotContain(entries, entry => entry.Key.StartsWith("/var/log/", StringComparison.Ordinal));
        Assert.All(entries.Values, entry => Assert.True(entry.Modified <= fixture.Recipe.Created, "mtimes are clamped to SOURCE_DATE_EPOCH"));
        Assert.DoesNotContain(entries.Values, entry => entry.Type is TarEntryType.CharacterDevice or TarEntryType.BlockDevice);
    }

    [Fact]
    public async Task The_local_base_is_cached_by_its_inputs()
    {
        var ct = TestContext.Current.CancellationToken;
        var log = TestLog.Create();
        using var client = LocalBaseFixture.Client(log, fixture.PlatformDirectory);
        var provider = fixture.Provider(log, client);

        var watch = Stopwatch.StartNew();
        var again = await provider.EnsureAsync(BaseImageMode.Local, fixture.RegistryAddress, fixture.PlatformDirectory, fixture.Recipe,
                                               cancellationToken: ct);
        var cached = watch.Elapsed;

        // Built where no earlier run left the layout in the test cache; pushed from that layout where one did.
        Assert.Equal(fixture.SeededFromCache ? BaseImageSource.LocalCached : BaseImageSource.LocalBuilt, fixture.ColdState.Source);
        Assert.Equal(BaseImageSource.LocalCached, again.Source);
        Assert.Equal(fixture.ColdState.Reference, again.Reference);
        Assert.Equal($"{fixture.RegistryAddress}/slipway/base@{again.Reference.Digest}", again.Reference.ToString());
        Assert.Contains(fixture.Recipe.Tag, await client.ListTagsAsync(again.Reference.WithoutTagOrDigest(), ct));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"local base image: {(fixture.SeededFromCache ? "push of the cached layout" : "cold build+push")} {fixture.ColdDuration.TotalSeconds:0.0} s, cached {cached.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task A_layout_cached_on_disk_is_pushed_without_rebuilding_to_an_empty_registry()
    {
        var ct = TestContext.Current.CancellationToken;
        var log = TestLog.Create();
        using var other = new TempDirectory();
        var otherPlatform = Path.Combine(other.Path, ".nuke", "platform");
        var otherAddress = $"127.0.0.1:{FreePort.Next()}";
        var server = fixture.Server(log);
        await server.EnsureAsync(otherAddress, otherPlatform, ct);
        try
        {
            // The platform directory keeps the built layout; only the registry is new (e.g. its data was wiped).
            using var client = LocalBaseFixture.Client(log, otherPlatform);
            var state = await fixture.Provider(log, client).EnsureAsync(BaseImageMode.Local, otherAddress, fixture.PlatformDirectory,
                                                                        fixture.Recipe, cancellationToken: ct);

            Assert.Equal(BaseImageSource.LocalCached, state.Source);
            Assert.Equal(fixture.ColdState.Reference.Digest, state.Reference.Digest);
            Assert.True(await client.HasManifestAsync(state.Reference, ct));
        }
        finally
        {
            await server.StopAsync(otherPlatform, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Default_mode_uses_the_standard_image_where_a_registry_serves_it()
    {
        var ct = TestContext.Current.CancellationToken;
        var log = TestLog.Create();
        using var client = LocalBaseFixture.Client(log, fixture.PlatformDirectory);
        // No internet here: the "standard image" is played by the base already in the local registry.
        var upstream = $"{fixture.RegistryAddress}/slipway/base:{fixture.Recipe.Tag}";

        var state = await fixture.Provider(log, client).EnsureAsync(BaseImageMode.Default, fixture.RegistryAddress, fixture.PlatformDirectory,
                                                                    fixture.Recipe, upstream, cancellationToken: ct);

        Assert.Equal(BaseImageSource.Upstream, state.Source);
        Assert.Equal(ImageReference.Parse(upstream).WithoutTagOrDigest().WithDigest(fixture.ColdState.Reference.Digest!), state.Reference);
    }

    [Fact]
    public async Task Default_mode_falls_back_to_the_local_base_where_the_standard_image_cannot_be_reached()
    {
        var ct = TestContext.Current.CancellationToken;
        var log = TestLog.Create();
        using var client = LocalBaseFixture.Client(log, fixture.PlatformDirectory);

        var unreachable = await fixture.Provider(log, client).EnsureAsync(BaseImageMode.Default, fixture.RegistryAddress, fixture.PlatformDirectory,
            fixture.Recipe, $"127.0.0.1:{FreePort.Next()}/dotnet/runtime-deps:10.0", TimeSpan.FromSeconds(3), ct);
        var unresolvable = await fixture.Provider(log, client).EnsureAsync(BaseImageMode.Default, fixture.RegistryAddress, fixture.PlatformDirectory,
            fixture.Recipe, "registry.invalid/dotnet/runtime-deps:10.0", TimeSpan.FromSeconds(3), ct);
        var absent = await fixture.Provider(log, client).EnsureAsync(BaseImageMode.Default, fixture.RegistryAddress, fixture.PlatformDirectory,
            fixture.Recipe, $"{fixture.RegistryAddress}/dotnet/runtime-deps:10.0", TimeSpan.FromSeconds(3), ct);

        Assert.Equal(BaseImageSource.LocalCached, unreachable.Source);
        Assert.Equal(fixture.ColdState.Reference, unreachable.Reference);
        Assert.Equal(fixture.ColdState.Reference, unresolvable.Reference);
        Assert.Equal(fixture.ColdState.Reference, absent.Reference);
    }
}
