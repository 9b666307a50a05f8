using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace Slipway.Delivery.Tests.ConfigRepo;

/// <summary>Keeps every rendered log line (with exceptions) so a test can check what was logged.</summary>
public sealed class CollectingSink : ILogEventSink
{
    private readonly List<string> lines = [];

    public void Emit(LogEvent logEvent)
    {
        lock (lines) lines.Add(logEvent.RenderMessage() + (logEvent.Exception is null ? "" : " " + logEvent.Exception));
    }

    public string Text
    {
        get { lock (lines) return string.Join('\n', lines); }
    }

    public ILogger Logger() => new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(this).CreateLogger();
}
