using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace Slipway.Delivery.Tests.Registry;

/// <summary>A Serilog logger that keeps every rendered line (so tests can check that no secret is logged) and echoes it to the test output.</summary>
internal sealed class TestLog : ILogEventSink
{
    private readonly List<string> lines = [];

    public TestLog() => Logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(this).CreateLogger();

    public ILogger Logger { get; }

    public IReadOnlyList<string> Lines { get { lock (lines) return lines.ToList(); } }

    public void Emit(LogEvent logEvent)
    {
        var line = $"[{logEvent.Level}] {logEvent.RenderMessage()}{(logEvent.Exception is null ? "" : " " + logEvent.Exception)}";
        lock (lines) lines.Add(line);
        TestContext.Current.TestOutputHelper?.WriteLine(line);
    }
}
