using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Agent.Verification;
using Slipway.Delivery.AgentApi;
using Slipway.Testing;
using Slipway.Testing.Kubernetes;

namespace Slipway.Agent.Tests.Infrastructure;

/// <summary>
/// An in-process agent on the kubernetes backend, pointed at the Kubernetes API simulation through a kubeconfig, with the
/// image verification a test chooses (the images of these tests exist in no registry).
/// </summary>
static class SimulatedClusterAgent
{
    public static async Task<(WebApplication Agent, AgentClient Status)> StartAsync(KubernetesApiSimulation simulation, string directory,
        TestConfigRepo repo, string environment, string interval, string logName, IImageVerification verification, CancellationToken ct,
        IReadOnlyList<string>? extraArguments = null)
    {
        var kubeconfig = Path.Combine(directory, "kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: simulation
              cluster:
                server: {simulation.BaseAddress.ToString().TrimEnd('/')}
            contexts:
            - name: simulation
              context:
                cluster: simulation
                user: agent
            current-context: simulation
            users:
            - name: agent
              user:
                token: agent-token
            """, ct);
        var apiPort = FreePort.Next();
        var agent = await AgentHost.BuildAsync([
            "--root", directory,
            "--config-repo", repo.Bare,
            "--work-dir", Path.Combine(directory, "agent"),
            "--environments", environment,
            "--interval", interval,
            "--api-port", apiPort.ToString(CultureInfo.InvariantCulture),
            "--backend", "kubernetes",
            "--kubeconfig", kubeconfig,
            .. extraArguments ?? [],
        ], TestLogger.Create(logName), ct, services => services.AddSingleton(verification));
        await agent.StartAsync(ct);
        return (agent, AgentClient.ForPort(apiPort));
    }
}
