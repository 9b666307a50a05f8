using Slipway.Agent;

try
{
    await using var app = await AgentHost.BuildAsync(args);
    await app.RunAsync();
    return 0;
}
catch (Exception exception) when (exception is ArgumentException or Slipway.Delivery.Docker.DockerUnavailableException)
{
    Console.Error.WriteLine($"slipway-agent: {exception.Message}");
    return 2;
}
