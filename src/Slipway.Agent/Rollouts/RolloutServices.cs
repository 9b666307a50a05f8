namespace Slipway.Agent.Rollouts;

/// <summary>What a progressive rollout needs besides the backend: the gate webhooks, the revert in Git, and durable progress.</summary>
public sealed record RolloutServices(GateRunner Gates, IRollbackCommitter Rollback, RolloutStore Store);
