using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Beacon.Tests.Support;

/// <summary>
/// Beacon hosted in-process on a TestServer, with its own config directory (a fresh temp dir unless given)
/// and settings passed the way the command line would, so Program sees them before it builds.
/// </summary>
public sealed class BeaconHost : WebApplicationFactory<Program>
{
    readonly Dictionary<string, string?> _settings;
    readonly Action<IServiceCollection>? _services;
    readonly TempDirectory? _ownedConfigDirectory;

    public BeaconHost(
        IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null,
        string? configDirectory = null)
    {
        if (configDirectory is null)
        {
            _ownedConfigDirectory = new TempDirectory();
            configDirectory = _ownedConfigDirectory.Path;
        }
        ConfigDirectory = configDirectory;
        _settings = new Dictionary<string, string?>
        {
            ["BEACON_CONFIG_DIR"] = configDirectory,
            ["Serilog:MinimumLevel"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            _settings[key] = value;
        _services = services;
    }

    public string ConfigDirectory { get; }

    protected override IHost CreateHost(IHostBuilder builder)
    {
        // Host configuration reaches WebApplication.CreateBuilder as arguments, before Program reads it.
        builder.ConfigureHostConfiguration(configuration => configuration.AddInMemoryCollection(_settings));
        return base.CreateHost(builder);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder) =>
        builder.ConfigureTestServices(services => _services?.Invoke(services));

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
            _ownedConfigDirectory?.Dispose();
    }
}
