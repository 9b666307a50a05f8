using Slipway.Build;
using Slipway.Delivery.AgentApi;
using Slipway.Delivery.ConfigRepo;

partial class Build
{
    [Parameter("SetFlag: the feature flag id, as declared in deploy/base/configmap.yaml (e.g. Greeting.V2)")]
    readonly string? Flag = null;

    [Parameter("SetFlag: on, off, a percentage of users (30%), a variant allocation (Formal=70,Casual=30), or deploy (back to what deploy/ declares)")]
    readonly string? Value = null;

    Target SetFlag => _ => _
        .Description("Commits one feature flag change (--flag, --value) to --environment's ConfigMap in the config repo; the agent applies it and Beacon reloads it")
        .Executes(async () =>
        {
            // A flag change can reach production: name the environment every time rather than default to one.
            if (Environment is null)
            {
                throw new InvalidOperationException("SetFlag needs --environment (e.g. --environment production)");
            }
            if (Flag is null || Value is null)
            {
                throw new InvalidOperationException(
                    "SetFlag needs --flag and --value, e.g. --flag Greeting.V2 --value on (or 30%, or Formal=70,Casual=30)");
            }
            var result = await new FlagCommitter(OpenConfigRepository(), Log)
                .SetFlagAsync(Environment, Flag, Value, RunId, DeployDirectory, CancellationToken);
            Log.Information(result.Changed
                ? "{Environment:l}: flag {Flag:l} committed at {Revision:l}; the agent applies it and Beacon reloads it without a restart"
                : "{Environment:l}: flag {Flag:l} already had that value at {Revision:l}", Environment, Flag, Short(result.Sha));
            if (result.Changed)
            {
                await WakeAgentIfRunningAsync();
            }
        });

    /// <summary>Asks a running local agent to sync now (a Git host's webhook would); without one, its interval picks the change up.</summary>
    async Task WakeAgentIfRunningAsync()
    {
        if (!AgentOperatorTokenFile.FileExists())
        {
            return;
        }
        using var agent = OperatorAgentClient();
        if (!await agent.IsRunningAsync(CancellationToken))
        {
            return;
        }
        await agent.RequestSyncAsync(CancellationToken);
        Log.Information("Woke the agent on 127.0.0.1:{Port} to sync now", AgentPort);
    }
}
