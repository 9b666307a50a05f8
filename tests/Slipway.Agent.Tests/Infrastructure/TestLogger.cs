using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace Slipway.Agent.Tests.Infrastructure;

/// <summary>Agent logs go to the test's output, so a failing test shows what the agent did.</summary>
static class TestLogger
{
    public static ILogger Create(string name) => new LoggerConfiguration()
        .MinimumLevel.Information()
        .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
        .MinimumLevel.Override("Yarp", LogEventLevel.Warning)
        .Enrich.WithProperty("Agent", name)
        .WriteTo.Sink(new TestOutputSink())
        .CreateLogger();

    sealed class TestOutputSink : ILogEventSink
    {
        readonly ITestOutputHelper? output = TestContext.Current.TestOutputHelper;

        public void Emit(LogEvent logEvent)
        {
            try
            {
                output?.WriteLine($"{logEvent.Timestamp:HH:mm:ss.fff} [{logEvent.Level.ToString()[..3]}] {logEvent.RenderMessage()}{(logEvent.Exception is null ? "" : " " + logEvent.Exception)}");
            }
            catch (InvalidOperationException)
            {
                // The test has finished; late log lines have nowhere to go.
            }
        }
    }
}
