using Slipway.Edge;

try
{
    await using var app = EdgeHost.Build(args);
    await app.RunAsync();
    return 0;
}
catch (ArgumentException exception)
{
    Console.Error.WriteLine($"slipway-edge: {exception.Message}");
    return 2;
}
