using System.Text.Json;
using Serilog;
using Slipway.Edge.Contract;

namespace Slipway.Edge.State;

/// <summary>
/// The route table on disk: written whole to a temporary file, flushed, then renamed over the old one (atomic), so a
/// crash mid-write leaves the previous table; read back when an edge starts.
/// </summary>
public sealed class RouteTableFile(string path, ILogger logger)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string Path { get; } = path;

    public EdgeRouteTable Load()
    {
        if (!File.Exists(Path)) return new EdgeRouteTable([]);
        try
        {
            var table = JsonSerializer.Deserialize<EdgeRouteTable>(File.ReadAllText(Path), Json);
            if (table?.Routes is null) throw new JsonException("the file holds no 'routes' list");
            return table;
        }
        catch (JsonException exception)
        {
            // Keep the unreadable file for a post-mortem and start empty: the agent sets every route again when it reconciles.
            var aside = $"{Path}.unreadable-{DateTime.UtcNow:yyyyMMddHHmmss}";
            File.Move(Path, aside, overwrite: true);
            logger.Error("The route table {Path} is unreadable ({Reason}); moved it to {Aside} and started with no routes", Path, exception.Message, aside);
            return new EdgeRouteTable([]);
        }
    }

    public void Save(EdgeRouteTable table)
    {
        var temporary = $"{Path}.tmp-{Environment.ProcessId}";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, table, Json);
            stream.Flush(flushToDisk: true);
        }
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, Path, overwrite: true);
    }
}
