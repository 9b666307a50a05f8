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
