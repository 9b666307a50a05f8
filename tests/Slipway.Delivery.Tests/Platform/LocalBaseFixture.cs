using System.Diagnostics;
using Slipway.Delivery.Platform;
using Slipway.Delivery.Registry;
using Slipway.Testing;

namespace Slipway.Delivery.Tests.Platform;

/// <summary>
/// A platform directory under /tmp with its own registry (started by <see cref="RegistryServer"/> on a free port) and the
/// local base image ensured once into it: pushed from the layout kept in <see cref="LocalBaseCache"/> where an earlier run
/// built it, else built cold (and then kept there). Everything is stopped and deleted afterwards; the cache stays.
/// </summary>
public sealed class LocalBaseFixture : IAsyncLifetime
{
    readonly TempDirectory _root = new("slipway-platform-base-");
    readonly SystemHost _host = new();

    public string PlatformDirectory => Path.Combine(_root.Path, ".nuke", "platform");
    public string RegistryAddress { get; } = $"127.0.0.1:{FreePort.Next()}";
    public DebianBaseRecipe Recipe { get; } = DebianBaseRecipe.ForHost();
    public BaseImageState ColdState { get; private set; } = null!;
    /// <summary>True when the layout came from <see cref="LocalBaseCache"/>, false when this run built it.</summary>
    public bool SeededFromCache { get; private set; }
    public TimeSpan ColdDuration { get; private set; }

    public RegistryServer Server(Serilog.ILogger log) => new(_host, new AptInstaller(_host, log, allowInstall: false), log);

    /// <summary>A client with the credentials of the platform under <paramref name="platformDirectory"/> (its registry asks for them).</summary>
    public static RegistryClient Client(Serilog.ILogger log, string platformDirectory) =>
        new(log, host => DockerConfigCredentials.Find(host, RegistryAuthFiles.Under(platformDirectory).DockerConfig));

    public BaseImageProvider Provider(Serilog.ILogger log, RegistryClient client) =>
        new(new LocalBaseImageBuilder(_host, new AptInstaller(_host, log, allowInstall: false), log), client, log);

    public async ValueTask InitializeAsync()
    {
        var log = TestLog.Create();
        await Server(log).EnsureAsync(RegistryAddress, PlatformDirectory, CancellationToken.None);
        using var client = Client(log, PlatformDirectory);
        SeededFromCache = LocalBaseCache.Seed(Recipe, PlatformDirectory);
        var watch = Stopwatch.StartNew();
        ColdState = await Provider(log, client).EnsureAsync(BaseImageMode.Local, RegistryAddress, PlatformDirectory, Recipe);
        ColdDuration = watch.Elapsed;
        LocalBaseCache.Keep(Recipe, PlatformDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        await Server(Serilog.Core.Logger.None).StopAsync(PlatformDirectory, CancellationToken.None);
        _root.Dispose();
    }
}

/// <summary>The local base is built once for all tests that only read it.</summary>
[CollectionDefinition(Name)]
public sealed class LocalBaseCollection : ICollectionFixture<LocalBaseFixture>
{
    public const string Name = "Local base image";
}
