using Slipway.Delivery.AgentApi;
using Slipway.Delivery.Manifests;

namespace Slipway.Agent.Rollouts;

/// <summary>What a gate webhook is told about the rollout it may halt (the contract's gate payload).</summary>
public sealed record RolloutGateRequest(string Environment, string Revision, string Image, string StableImage, string Strategy, Uri? PreviewUrl, int CanaryWeight);

/// <summary>
/// Runs the pre-rollout gate webhooks in order; any non-2xx answer or timeout fails the rollout.
/// TODO(lead): wire to GateRunner (src/Slipway.Agent/Rollouts/GateRunner.cs, owned by the blue-green helper) once merged:
/// an adapter calling <c>GateRunner.RunAsync(gates, new GatePayload(...), ct)</c>. Until then the agent has no gate runner,
/// and a canary whose environment names gates aborts saying so.
/// </summary>
public interface IRolloutGates
{
    Task<IReadOnlyList<GateResult>> RunAsync(IReadOnlyList<GateSpec> gates, RolloutGateRequest request, CancellationToken cancellationToken);
}
