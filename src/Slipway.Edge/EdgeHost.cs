using Serilog;
using Slipway.Edge.Admin;
using Slipway.Edge.Routing;
using Slipway.Edge.State;

namespace Slipway.Edge;

/// <summary>Builds the edge: options, the router, the saved table, the admin API on its unix socket. Tests build it with their own arguments.</summary>
public static class EdgeHost
{
    public static WebApplication Build(string[] args, Serilog.ILogger? logger = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ApplicationName = "Slipway.Edge" });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddEnvironmentVariables().AddCommandLine(args, EdgeOptions.SwitchMappings.ToDictionary());
        var options = EdgeOptions.From(builder.Configuration);

        logger ??= new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", Serilog.Events.LogEventLevel.Information)
            // YARP logs each failed probe and forward with a stack trace; the edge's own lines say what matters.
            .MinimumLevel.Override("Yarp", Serilog.Events.LogEventLevel.Error)
            .Enrich.FromLogContext()
            .WriteTo.Console(outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level:u3}] {Message:lj}{NewLine}{Exception}")
            .CreateLogger();
        builder.Services.AddSerilog(logger, dispose: false);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.Drain + TimeSpan.FromSeconds(5));

        AdminSocket.PrepareDirectory(options.StateDirectory);
        AdminSocket.RemoveStale(options.OwnAdminSocket);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenUnixSocket(options.OwnAdminSocket));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new EdgeRouter(options, logger));
        builder.Services.AddSingleton(new RouteTableFile(options.RouteTableFile, logger));
        builder.Services.AddHostedService<EdgeService>();

        var app = builder.Build();
        app.MapEdgeAdmin();
        return app;
    }
}
