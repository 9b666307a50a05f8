using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace Slipway.Delivery.Tests.Platform;

/// <summary>A Serilog logger that writes into the current xunit test's output.</summary>
static class TestLog
{
    public static ILogger Create() =>
        new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(new TestOutputSink()).CreateLogger();

    sealed class TestOutputSink : ILogEventSink
    {
        public void Emit(LogEvent logEvent) =>
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"[{logEvent.Level.ToString()[..3].ToUpperInvariant()}] {logEvent.RenderMessage()}" +
                (logEvent.Exception is null ? "" : $" {logEvent.Exception.Message}"));
    }
}

/// <summary>A directory under /tmp that is removed with the test.</summary>
sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "slipway-platform-") =>
        Path = Directory.CreateTempSubdirectory(prefix).FullName;

    public string Path { get; }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }
}
