using System.Reflection;
using Beacon.Configuration;
using Beacon.Faults;
using Beacon.Greeting;
using Beacon.Health;
using Beacon.Versioning;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.FeatureManagement;
using Prometheus;
using Serilog;

namespace Beacon.Hosting;

/// <summary>Beacon's composition: configuration, services, middleware order and endpoints.</summary>
public static class BeaconApp
{
    public static WebApplication Build(WebApplicationBuilder builder, Serilog.Core.Logger logger)
    {
        // The config directory (a mounted ConfigMap) is layered on top of everything else and polled for changes.
        var configDirectory = new ConfigDirectory(builder.Configuration[ConfigDirectory.EnvironmentVariable] is { Length: > 0 } dir ? dir : ConfigDirectory.DefaultPath);
        if (configDirectory.FileProvider is { } configFiles)
        {
            ((IConfigurationBuilder)builder.Configuration).Add(new LastGoodJsonConfigurationSource(logger)
            {
                FileProvider = configFiles,
                Path = ConfigDirectory.SettingsKey,
                Optional = true,
                ReloadOnChange = true,
                ReloadDelay = 100,
            });
        }

        if (ListenAddress.FromPort(builder.Configuration["urls"], builder.Configuration[ListenAddress.PortVariable]) is { } url)
            builder.WebHost.UseUrls(url);

        var shutdown = ShutdownSettings.Read(builder.Configuration);
        // Invalid faults fail the start here, before the host exists, as a bad PORT or shutdown setting does. Found only
        // when FaultSettings is first resolved (the middleware pipeline, inside StartAsync), the error would come after
        // the host was built: Run would dispose it, and a caller still reaching for its services (WebApplicationFactory
        // waiting for ApplicationStarted) would see an ObjectDisposedException instead of the error naming the key.
        InjectedFaults.Read(builder.Configuration);
        var operatorToken = OperatorToken.Read(builder.Configuration);
        var build = BuildInfo.FromAssembly(Assembly.GetExecutingAssembly(), name => builder.Configuration[name]);

        builder.Services.AddSerilog(logger, dispose: true);
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = shutdown.Timeout);
        builder.Services.AddSingleton(shutdown);
        builder.Services.AddSingleton(build);
        builder.Services.AddSingleton(_ => configDirectory);
        builder.Services.AddSingleton<Readiness>();
        builder.Services.AddSingleton(operatorToken);
        builder.Services.AddHostedService<GracefulShutdown>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton(new FaultRandom(Random.Shared));
        builder.Services.AddSingleton<FaultSettings>();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddFeatureManagement().WithTargeting<UserTargetingContextAccessor>();
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, BeaconJsonContext.Default));

        // One registry per app instance (not prometheus-net's static default), so hosts in one process never mix counts.
        var metrics = Metrics.NewCustomRegistry();
        DotNetStats.Register(metrics);

        var app = builder.Build();

        app.UseSerilogRequestLogging(options =>
        {
            options.Logger = logger; // not Serilog's static Log.Logger, which Beacon leaves unset
            options.GetLevel = BeaconLogging.RequestLevel;
        });
        app.UseRouting();
        app.UseHttpMetrics(options => options.SetMetricFactory(Metrics.WithCustomRegistry(metrics)));
        // Inside the metrics middleware, so a crash is counted as the 500 it becomes.
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = context => Results.Json(
                    new ErrorAnswer("Beacon failed to answer this request; its log has the details."),
                    BeaconJsonContext.Default.ErrorAnswer,
                    statusCode: StatusCodes.Status500InternalServerError)
                .ExecuteAsync(context),
        });
        app.UseMiddleware<FaultInjectionMiddleware>();

        app.MapGet("/", (BuildInfo info) => Results.Json(
            new IndexAnswer("beacon", info.Version,
            [
                "GET /healthz", "GET /readyz", "POST /readyz/disable", "POST /readyz/enable", "GET /version",
                "GET /api/greeting", "GET /metrics", "GET /fault/status/{code}", "GET /fault/delay/{ms}",
            ]),
            BeaconJsonContext.Default.IndexAnswer));
        app.MapHealth();
        app.MapVersion();
        app.MapGreeting();
        app.MapFaults();
        app.MapMetrics("/metrics", metrics);

        logger.Information("Beacon {Version} ({Commit}) starting; config directory {ConfigDirectory} with keys {ConfigKeys}",
            build.Version, build.Commit, configDirectory.Path, configDirectory.Keys());
        return app;
    }
}
