using Docker.DotNet.Models;

namespace Slipway.Delivery.Images;

/// <summary>
/// Reports a Docker progress stream (build, load, push) to the log as it arrives, and remembers errors:
/// the engine reports build and push failures inside the stream (error/errorDetail), not as HTTP errors.
/// Synchronous on purpose: <see cref="Progress{T}"/> would post lines late and out of order.
/// </summary>
public sealed class DockerProgress(Serilog.ILogger log, string operation) : IProgress<JSONMessage>
{
    private readonly List<string> _errors = [];
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Errors => _errors;

    /// <summary>The image id the engine reported in the stream's aux message (build), when it did.</summary>
    public string? ImageId { get; private set; }

    public void Report(JSONMessage value)
    {
        var error = value.Error?.Message;
        if (!string.IsNullOrWhiteSpace(error))
        {
            _errors.Add(error.Trim());
            log.Error("docker {Operation}: {Error}", operation, error.Trim());
            return;
        }
        if (value.Aux?.ExtensionData is { } aux && aux.TryGetValue("ID", out var id) && id?.ToString() is { Length: > 0 } text)
            ImageId = text;
        if (!string.IsNullOrEmpty(value.Stream))
        {
            foreach (var line in value.Stream.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                _lines.Add(line);
                log.Information("docker {Operation}: {Line}", operation, line);
            }
        }
        else if (!string.IsNullOrEmpty(value.Status))
            log.Debug("docker {Operation}: {Status} {Id}", operation, value.Status, value.ID);
    }

    /// <summary>Throws an <see cref="ImageBuildException"/> quoting the engine's errors when there were any.</summary>
    public void ThrowIfFailed(string what)
    {
        if (_errors.Count == 0) return;
        var context = _lines.Count > 0 ? $"{Environment.NewLine}Last output:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", _lines.TakeLast(8))}" : "";
        throw new ImageBuildException($"{what} failed: {string.Join("; ", _errors)}{context}");
    }
}
