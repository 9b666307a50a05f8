using System.Text.Json;
using System.Text.Json.Serialization;

namespace Slipway.Agent.Rollouts;

/// <summary>
/// Rollout progress that must survive an agent restart: one JSON file per environment, <c>&lt;work-dir&gt;/rollouts/&lt;env&gt;.json</c>,
/// replaced atomically (written beside it, then renamed), so a crash leaves the previous or the new state, never half of one.
/// </summary>
public sealed class RolloutStore(string directory)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string Directory { get; } = directory;

    public string PathFor(string environment) => Path.Combine(Directory, environment + ".json");

    /// <summary>The saved state, or null when there is none (or it is unreadable: logged by the caller as a fresh start).</summary>
    public T? Load<T>(string environment) where T : class
    {
        var path = PathFor(environment);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Save<T>(string environment, T state) where T : class
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = PathFor(environment);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(state, Json));
        File.Move(temporary, path, overwrite: true);
    }

    public void Delete(string environment)
    {
        var path = PathFor(environment);
        if (File.Exists(path)) File.Delete(path);
    }
}
