using System.Net;
using Serilog;
using Slipway.Agent.Api;
using Slipway.Agent.Backends;
using Slipway.Agent.Backends.Docker;
using Slipway.Agent.ConfigRepo;
using Slipway.Agent.Rollouts;
using Slipway.Agent.Routing;
using Slipway.Agent.Sync;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Docker;

namespace Slipway.Agent;

/// <summary>Builds the agent: options, the Docker backend and router, the pull loop, the API. Tests build it with their own arguments.</summary>
public static class AgentHost
{
    public static async Task<WebApplication> BuildAsync(string[] args, Serilog.ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ApplicationName = "Slipway.Agent" });
        builder.Configuration.Sources.Clear();
        builder.Configuration
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args, AgentOptions.SwitchMappings.ToDictionary());
        var options = AgentOptions.From(builder.Configuration);

        logger ??= new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", Serilog.Events.LogEventLevel.Information)
            // YARP's own probe failures repeat what the agent logs about its replicas, with stack traces.
            .MinimumLevel.Override("Yarp.ReverseProxy.Health", Serilog.Events.LogEventLevel.Error)
            .Enrich.FromLogContext()
            .WriteTo.Console(outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level:u3}] {Message:lj}{NewLine}{Exception}")
            .CreateLogger();
        builder.Services.AddSerilog(logger, dispose: false);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, options.ApiPort));

        Directory.CreateDirectory(options.WorkDir);
        var docker = await DockerEngine.ConnectAsync(cancellationToken: cancellationToken);
        var backendSettings = new DockerBackendSettings(options.Instance, Path.Combine(options.WorkDir, "config"), options.Drain, options.ReadinessTimeout,
            Path.Combine(options.WorkDir, "rollouts"));
        // A failed canary is reverted in the config repo through a clone of the agent's own (the mirror stays read-only).
        var rollback = new GitRollback(new ConfigRepository(new ConfigRepositoryOptions
        {
            Url = options.ConfigRepo,
            WorkDirectory = Path.Combine(options.WorkDir, "config-repo-rollback"),
            Branch = options.Branch ?? "main",
            Token = options.ConfigRepoToken,
            AuthorName = "Slipway agent",
        }, logger), logger);
        builder.Services.AddSingleton(options);
        // Created by factories so the container disposes them: stopping the agent closes the routers' ports too.
        builder.Services.AddSingleton(_ => docker);
        builder.Services.AddSingleton(_ => new EdgeRouter(logger));
        builder.Services.AddSingleton<IEnvironmentBackend>(services => new DockerEnvironmentBackend(
            services.GetRequiredService<Docker.DotNet.DockerClient>(), services.GetRequiredService<EdgeRouter>(), backendSettings, logger, rollback));
        builder.Services.AddSingleton(new ConfigRepoMirror(options.ConfigRepo, Path.Combine(options.WorkDir, "config-repo.git"), options.Branch, logger));
        builder.Services.AddSingleton(new StatusBoard(options.Environments));
        builder.Services.AddSingleton<SyncTrigger>();
        builder.Services.AddSingleton<Synchronizer>();
        builder.Services.AddHostedService(services => services.GetRequiredService<Synchronizer>());

        var app = builder.Build();
        app.MapAgentApi(options);
        var lifetime = app.Lifetime;
        lifetime.ApplicationStarted.Register(() => WritePid(options.PidFile));
        lifetime.ApplicationStopped.Register(() => RemovePid(options.PidFile));
        return app;
    }

    static void WritePid(string? pidFile)
    {
        if (pidFile is null) return;
        Directory.CreateDirectory(Path.GetDirectoryName(pidFile)!);
        File.WriteAllText(pidFile, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    static void RemovePid(string? pidFile)
    {
        if (pidFile is not null && File.Exists(pidFile) && File.ReadAllText(pidFile).Trim() == Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture))
            File.Delete(pidFile);
    }
}
