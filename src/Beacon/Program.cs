using Beacon.Hosting;

var builder = WebApplication.CreateBuilder(args);
Serilog.Core.Logger logger;
try
{
    logger = BeaconLogging.CreateLogger(builder.Configuration);
}
catch (FormatException problem)
{
    Console.Error.WriteLine($"Beacon could not start: {problem.Message}");
    return 2;
}

try
{
    BeaconApp.Build(builder, logger).Run();
    return 0;
}
catch (Exception problem) when (problem is not HostAbortedException) // the test host stops Main that way
{
    // A clear line in the JSON log (bad PORT, bad fault settings, invalid config file, port in use); then the
    // exception goes on, so the exit code is non-zero and a host running Main (the test host) sees it too.
    logger.Fatal(problem, "Beacon could not start or stopped abnormally: {Reason}", problem.Message);
    throw;
}

/// <summary>The entry point; public so Microsoft.AspNetCore.Mvc.Testing can host Beacon in tests.</summary>
public partial class Program;
