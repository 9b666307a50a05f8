using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace Slipway.Agent.Tests.Infrastructure;

/// <summary>Agent logs go to the test's output, so a failing test shows what the agent did.</summary>
static class TestLogger
{
    /// <summary>Set to a folder to keep every agent's log there as well (handy when a passing test is slow).</summary>
    public const string LogFolderVariable = "SLIPWAY_AGENT_TEST_LOGS";

    public static ILogger Create(string name)
    {
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Yarp.ReverseProxy.Health", LogEventLevel.Error)
            .Enrich.WithProperty("Agent", name)
            .WriteTo.Sink(new TestOutputSink());
        if (Environment.GetEnvironmentVariable(LogFolderVariable) is { Length: > 0 } folder)
            configuration = configuration.WriteTo.File(Path.Combine(folder, name + ".log"),
                outputTemplate: "{Timestamp:HH:mm:ss.fff} [{Level:u3}] {Message:lj}{NewLine}{Exception}");
        return configuration.CreateLogger();
    }

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
