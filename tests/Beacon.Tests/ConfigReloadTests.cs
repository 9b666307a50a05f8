using System.Net;
using Beacon.Configuration;
using Beacon.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using Serilog.Core;
using Serilog.Events;

namespace Beacon.Tests;

/// <summary>The config directory is polled: changes take effect without a restart.</summary>
public sealed class ConfigReloadTests
{
    static string V2Flag(bool enabled) =>
        $$"""{ "feature_management": { "feature_flags": [ { "id": "Greeting.V2", "enabled": {{(enabled ? "true" : "false")}} } ] } }""";

    static async Task<string?> Message(HttpClient client) => (await client.GetJsonAsync("/api/greeting")).Str("message");

    [Fact]
    public async Task Flag_switch_in_the_config_directory_is_seen_without_a_restart()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", V2Flag(false));
        using var host = new BeaconHost(configDirectory: dir.Path);
        using var client = host.CreateClient();
        Assert.Equal("Hello from Beacon", await Message(client));

        dir.Write("appsettings.json", V2Flag(true));
        await Eventually.Until(() => Message(client), m => m == "Greetings from Beacon v2", "Greeting.V2 on");

        dir.Write("appsettings.json", V2Flag(false));
        await Eventually.Until(() => Message(client), m => m == "Hello from Beacon", "Greeting.V2 off again");
    }

    [Fact]
    public async Task Settings_file_appearing_after_start_is_picked_up()
    {
        using var dir = new TempDirectory();
        using var host = new BeaconHost(configDirectory: dir.Path);
        using var client = host.CreateClient();
        Assert.Equal("Hello from Beacon", await Message(client));

        dir.Write("appsettings.json", V2Flag(true));

        await Eventually.Until(() => Message(client), m => m == "Greetings from Beacon v2", "Greeting.V2 on");
    }

    [Fact]
    public async Task Kubernetes_symlink_swap_is_seen_without_a_restart()
    {
        using var dir = new TempDirectory();
        WriteRevision(dir.Path, "..2026_11_28_10_00_00.1", V2Flag(false));
        File.CreateSymbolicLink(Path.Combine(dir.Path, "..data"), "..2026_11_28_10_00_00.1");
        File.CreateSymbolicLink(Path.Combine(dir.Path, "appsettings.json"), "..data/appsettings.json");
        using var host = new BeaconHost(configDirectory: dir.Path);
        using var client = host.CreateClient();
        Assert.Equal("Hello from Beacon", await Message(client));
        var firstHash = (await client.GetJsonAsync("/version")).Str("configHash");

        // What kubelet does on a ConfigMap update: a new revision directory, then ..data swapped atomically.
        WriteRevision(dir.Path, "..2026_11_28_10_05_00.2", V2Flag(true));
        File.CreateSymbolicLink(Path.Combine(dir.Path, "..data_tmp"), "..2026_11_28_10_05_00.2");
        Posix.Rename(Path.Combine(dir.Path, "..data_tmp"), Path.Combine(dir.Path, "..data"));

        await Eventually.Until(() => Message(client), m => m == "Greetings from Beacon v2", "Greeting.V2 on after the swap");
        Assert.NotEqual(firstHash, (await client.GetJsonAsync("/version")).Str("configHash"));
    }

    static void WriteRevision(string root, string name, string settings)
    {
        Directory.CreateDirectory(Path.Combine(root, name));
        File.WriteAllText(Path.Combine(root, name, "appsettings.json"), settings);
    }

    [Fact]
    public async Task Faults_reload_and_an_invalid_value_keeps_the_previous_faults()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", """{ "Faults": { "Enabled": true, "ErrorRate": 1 } }""");
        using var host = new BeaconHost(configDirectory: dir.Path);
        using var client = host.CreateClient();
        using (var failing = await client.GetAsync("/api/greeting"))
            Assert.Equal(HttpStatusCode.InternalServerError, failing.StatusCode);

        dir.Write("appsettings.json", """{ "Faults": { "Enabled": true, "ErrorRate": 0 } }""");
        await Eventually.Until(async () => (await client.GetAsync("/api/greeting")).StatusCode, s => s == HttpStatusCode.OK, "error rate back to 0");

        // An out-of-range rate beside a flag change: once the flag shows, the reload happened,
        // and the request that shows it was not failed, so the previous rate (0) still holds.
        dir.Write("appsettings.json", """{ "Faults": { "Enabled": true, "ErrorRate": 7 }, "FeatureManagement": { "Greeting.V2": true } }""");
        var message = await Eventually.Until(async () =>
        {
            using var response = await client.GetAsync("/api/greeting");
            return (response.StatusCode, (await response.ReadJsonAsync()).Str("message"));
        }, r => r.Item2 == "Greetings from Beacon v2", "the reload with the invalid rate");
        Assert.Equal(HttpStatusCode.OK, message.StatusCode);
    }

    [Fact]
    public void Invalid_json_on_reload_keeps_the_last_good_values_and_says_which_file()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", """{ "Greeting": { "Text": "kept" } }""");
        using var files = new PhysicalFileProvider(dir.Path);
        var sink = new CollectingSink();
        using var logger = new Serilog.LoggerConfiguration().WriteTo.Sink(sink).CreateLogger();
        var source = new LastGoodJsonConfigurationSource(logger) { FileProvider = files, Path = "appsettings.json", Optional = true };
        var provider = source.Build(new ConfigurationBuilder());
        provider.Load();

        dir.Write("appsettings.json", """{ "Greeting": { "Text": "half-writ""");
        provider.Load();

        Assert.True(provider.TryGet("Greeting:Text", out var text));
        Assert.Equal("kept", text);
        var error = Assert.Single(sink.Events, e => e.Level == LogEventLevel.Error);
        Assert.Contains(Path.Combine(dir.Path, "appsettings.json"), error.RenderMessage());
    }

    [Fact]
    public void Invalid_json_at_start_fails_naming_the_file()
    {
        using var dir = new TempDirectory();
        dir.Write("appsettings.json", "{ nope");
        using var files = new PhysicalFileProvider(dir.Path);
        using var logger = new Serilog.LoggerConfiguration().CreateLogger();
        var source = new LastGoodJsonConfigurationSource(logger) { FileProvider = files, Path = "appsettings.json", Optional = true };
        var provider = source.Build(new ConfigurationBuilder());

        var error = Assert.Throws<InvalidDataException>(provider.Load);

        Assert.Contains(Path.Combine(dir.Path, "appsettings.json"), error.Message);
    }

    sealed class CollectingSink : ILogEventSink
    {
        public List<LogEvent> Events { get; } = [];

        public void Emit(LogEvent logEvent)
        {
            lock (Events)
                Events.Add(logEvent);
        }
    }
}
