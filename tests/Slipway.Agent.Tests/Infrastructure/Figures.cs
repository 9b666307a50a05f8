namespace Slipway.Agent.Tests.Infrastructure;

/// <summary>Measured figures: to the test's output, and to figures.txt in SLIPWAY_AGENT_TEST_LOGS when set (passing tests' output is not shown).</summary>
static class Figures
{
    public static void Report(string line)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        if (Environment.GetEnvironmentVariable(TestLogger.LogFolderVariable) is { Length: > 0 } folder)
            File.AppendAllText(Path.Combine(folder, "figures.txt"), $"{DateTimeOffset.UtcNow:HH:mm:ss} {line}{Environment.NewLine}");
    }
}
