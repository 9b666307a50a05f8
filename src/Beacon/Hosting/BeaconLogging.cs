using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace Beacon.Hosting;

/// <summary>Serilog as compact JSON on stdout, one event per line, as container platforms collect it.</summary>
public static class BeaconLogging
{
    /// <summary>The minimum level, from configuration key Serilog:MinimumLevel (env Serilog__MinimumLevel); default Information.</summary>
    public static Serilog.Core.Logger CreateLogger(IConfiguration configuration)
    {
        var text = configuration["Serilog:MinimumLevel"];
        var level = LogEventLevel.Information;
        if (!string.IsNullOrWhiteSpace(text) && !Enum.TryParse(text, ignoreCase: true, out level))
            throw new FormatException(
                $"Serilog:MinimumLevel is '{text}', but it must be one of {string.Join(", ", Enum.GetNames<LogEventLevel>())}.");
        return new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .Enrich.FromLogContext()
            .Enrich.WithProperty("service", "beacon")
            .WriteTo.Console(new CompactJsonFormatter())
            .CreateLogger();
    }

    /// <summary>Probes and scrapes are logged at Verbose so they do not drown the requests that matter.</summary>
    public static LogEventLevel RequestLevel(HttpContext context, double elapsedMs, Exception? exception)
    {
        if (exception is not null || context.Response.StatusCode >= 500)
            return LogEventLevel.Error;
        var path = context.Request.Path;
        return path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz") || path.StartsWithSegments("/metrics")
            ? LogEventLevel.Verbose
            : LogEventLevel.Information;
    }
}
