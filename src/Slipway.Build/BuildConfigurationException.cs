namespace Slipway.Build;

/// <summary>The build cannot start as invoked or declared (unknown target, cycle, bad parameter value...). The message says what to fix.</summary>
public sealed class BuildConfigurationException(string message) : Exception(message);
