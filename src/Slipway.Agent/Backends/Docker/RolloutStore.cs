using System.Text.Json;
using Slipway.Delivery.AgentApi;

namespace Slipway.Agent.Backends.Docker;

/// <summary>
/// A progressive rollout's progress on disk (&lt;work-dir&gt;/rollouts/&lt;env&gt;.json, written atomically), so an agent
/// restarted mid-rollout resumes it where it was, and an aborted revision is not tried again.
/// </summary>
/// <param name="TemplateHash">The pod template being rolled out (the canary replicas' label).</param>
/// <param name="StepsPassed">Analysis steps passed so far; the next one starts again from its beginning after a restart.</param>
/// <param name="GatesPassed">The gate webhooks answered 2xx for this rollout.</param>
/// <param name="Promoting">All steps passed: the new template is replacing the stable replicas.</param>
/// <param name="RevertSettled">After an abort: the revert was pushed, or was not needed; false means it is retried.</param>
public sealed record RolloutRecord(RolloutStatus Status, string TemplateHash, int StepsPassed, bool GatesPassed, bool Promoting, bool RevertSettled = false);

public sealed class RolloutStore(string directory)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string PathFor(string environment) => Path.Combine(directory, environment + ".json");

    /// <summary>The record, or null when none (or unreadable: logged by the caller as a fresh start).</summary>
    public RolloutRecord? Load(string environment)
    {
        var path = PathFor(environment);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<RolloutRecord>(File.ReadAllText(path), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Save(string environment, RolloutRecord record)
    {
        Directory.CreateDirectory(directory);
        var path = PathFor(environment);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(record, Json));
        File.Move(temporary, path, overwrite: true);
    }

    public void Delete(string environment)
    {
        var path = PathFor(environment);
        if (File.Exists(path)) File.Delete(path);
    }
}
