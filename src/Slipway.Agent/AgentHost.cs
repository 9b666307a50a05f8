using System.Net;
using Serilog;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Slipway.Agent.Api;
using Slipway.Agent.Backends;
using Slipway.Agent.Backends.Docker;
using Slipway.Agent.Backends.Kubernetes;
using Slipway.Agent.ImageAutomation;
using Slipway.Agent.ConfigRepo;
using Slipway.Agent.Dashboard;
using Slipway.Agent.Rollbacks;
using Slipway.Agent.Rollouts;
using Slipway.Agent.Routing;
using Slipway.Agent.Sync;
using Slipway.Agent.Verification;
using Slipway.Delivery.Registry;
using Slipway.Delivery.ConfigRepo;
using Slipway.Delivery.Docker;
using Slipway.Delivery.Kubernetes;

namespace Slipway.Agent;

/// <summary>Builds the agent: options, the backend (Docker with its router, or Kubernetes), the pull loop, the API. Tests build it with their own arguments.</summary>
public static class AgentHost
{
    /// <param name="overrides">Services that replace the real ones (tests: a fake <see cref="IImageVerification"/>); applied last.</param>
    public static async Task<WebApplication> BuildAsync(string[] args, Serilog.ILogger? logger = null, CancellationToken cancellationToken = default,
                                                        Action<IServiceCollection>? overrides = null)
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
        builder.Services.AddSingleton(options);
        HttpClient? gateClient = null;
        if (options.Backend == AgentBackend.Kubernetes)
        {
            // The agent under deploy/kubernetes/agent-rbac.yaml has no cluster-wide rights: the namespaces come with that manifest.
            var deployer = KubernetesDeployer.Connect(new KubernetesConnectionOptions(options.Kubeconfig, options.KubeContext, options.InCluster),
                KubeconfigPolicy.ForAgent(), logger, new KubernetesDeployerOptions { ManageNamespaces = false });
            builder.Services.AddSingleton<IEnvironmentBackend>(new KubernetesEnvironmentBackend(deployer));
        }
        else
        {
            var docker = await DockerEngine.ConnectAsync(cancellationToken: cancellationToken);
            var backendSettings = new DockerBackendSettings(options.Instance, Path.Combine(options.WorkDir, "config"), options.Drain, options.ReadinessTimeout,
                Path.Combine(options.WorkDir, "rollouts"));
            // Created by a factory so the container disposes it. Traffic is the edge's: stopping the agent leaves every port serving.
            builder.Services.AddSingleton(_ => docker);
            builder.Services.AddSingleton(_ => new EdgeClient(options.EdgeSocket, logger));
            builder.Services.AddHostedService<EdgeTableLoader>();
            // Failed rollouts are reverted in the config repo from a clone of the agent's own (the mirror is bare and read-only).
            var configRepository = new ConfigRepository(new ConfigRepositoryOptions
            {
                Url = options.ConfigRepo,
                WorkDirectory = Path.Combine(options.WorkDir, "config-repo-rollback"),
                Branch = options.Branch ?? "main",
                Token = options.ConfigRepoToken,
                AuthorName = $"Slipway agent ({options.Instance})",
            }, logger);
            gateClient = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            var rollouts = new RolloutServices(new GateRunner(gateClient, logger), new RollbackCommitter(configRepository, options.Instance, logger),
                new RolloutStore(Path.Combine(options.WorkDir, "rollouts", "blue-green")));
            builder.Services.AddSingleton<IEnvironmentBackend>(services => new DockerEnvironmentBackend(
                services.GetRequiredService<Docker.DotNet.DockerClient>(), services.GetRequiredService<EdgeClient>(), backendSettings, logger, rollouts));
        }
        builder.Services.AddSingleton(new ConfigRepoMirror(options.ConfigRepo, Path.Combine(options.WorkDir, "config-repo.git"), options.Branch, logger));
        builder.Services.AddSingleton(new StatusBoard(options.Environments));
        builder.Services.AddSingleton<SyncTrigger>();
        builder.Services.TryAddSingleton(_ => new RegistryClient(logger));
        builder.Services.AddSingleton<IImageVerification>(services => new RegistryImageVerification(services.GetRequiredService<RegistryClient>()));
        builder.Services.AddSingleton(services => new ImageGate(services.GetRequiredService<IImageVerification>(), TimeProvider.System));
        builder.Services.AddSingleton<EnvironmentGates>();
        builder.Services.AddSingleton(services => new WarmSwitch(services.GetRequiredService<ConfigRepoMirror>(), services.GetRequiredService<IEnvironmentBackend>(),
            services.GetRequiredService<StatusBoard>(), logger));
        builder.Services.AddSingleton(services => new RollbackHeadStart(services.GetRequiredService<ConfigRepoMirror>(), services.GetRequiredService<ImageGate>(),
            services.GetRequiredService<IEnvironmentBackend>(), services.GetRequiredService<EnvironmentGates>(), services.GetRequiredService<StatusBoard>(),
            SyncPolicy.From(options), logger));
        builder.Services.AddHostedService(services => new RollbackTargetsPrepared(services.GetRequiredService<RollbackHeadStart>(),
            services.GetRequiredService<StatusBoard>(), options, TimeProvider.System));
        builder.Services.AddSingleton<Synchronizer>();
        builder.Services.AddHostedService(services => services.GetRequiredService<Synchronizer>());
        builder.Services.AddImageAutomation(options, logger);
        builder.Services.AddDashboard(options, logger);
        overrides?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseMiddleware<HostAllowList>(options.ApiPort);
        app.MapAgentApi(options);
        app.MapImageAutomationApi(options);
        app.MapDashboard();
        var lifetime = app.Lifetime;
        lifetime.ApplicationStarted.Register(() => WritePid(options.PidFile));
        lifetime.ApplicationStopped.Register(() => RemovePid(options.PidFile));
        if (gateClient is not null) lifetime.ApplicationStopped.Register(gateClient.Dispose);
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
