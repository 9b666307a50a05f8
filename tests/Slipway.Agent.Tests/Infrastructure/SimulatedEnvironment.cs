using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Slipway.Agent.Verification;
using Slipway.Delivery.AgentApi;
using Slipway.Testing.Kubernetes;

namespace Slipway.Agent.Tests.Infrastructure;

/// <summary>
/// One environment (staging) as the fast tier drives it: a namespace on the Kubernetes API SIMULATION, a real bare config
/// repo, and once started the whole in-process agent applying the one to the other. Disposal stops and deletes it all.
/// </summary>
sealed class SimulatedEnvironment : IAsyncDisposable
{
    public const string Name = "staging";
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    readonly string directory;

    SimulatedEnvironment(string directory, KubernetesApiSimulation simulation, IKubernetes client, TestConfigRepo repo)
    {
        this.directory = directory;
        Simulation = simulation;
        Client = client;
        Repo = repo;
    }

    public KubernetesApiSimulation Simulation { get; }
    public IKubernetes Client { get; }
    public TestConfigRepo Repo { get; }
    public WebApplication? Agent { get; private set; }
    public AgentClient Status { get; private set; } = null!;

    public static async Task<SimulatedEnvironment> CreateAsync(string prefix)
    {
        var directory = Directory.CreateTempSubdirectory(prefix).FullName;
        var simulation = await KubernetesApiSimulation.StartAsync();
        var client = simulation.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Name } }, cancellationToken: Ct);
        return new SimulatedEnvironment(directory, simulation, client, await TestConfigRepo.CreateAsync(directory));
    }

    /// <summary>Starts the agent (interval 0.2 s) with the image verification a test chooses and any further options.</summary>
    public async Task StartAgentAsync(string logName, IImageVerification verification, IReadOnlyList<string>? extraArguments = null) =>
        (Agent, Status) = await SimulatedClusterAgent.StartAsync(Simulation, directory, Repo, Name, "0.2", logName, verification, Ct, extraArguments);

    /// <summary>Polls /status until the environment meets <paramref name="condition"/>; fails naming <paramref name="what"/> after 60 s.</summary>
    public async Task<EnvironmentStatus> WaitForAsync(Func<EnvironmentStatus, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        EnvironmentStatus? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = (await Status.GetStatusAsync(Ct)).Find(Name);
            if (last is not null && condition(last)) return last;
            await Task.Delay(100, Ct);
        }
        throw new TimeoutException($"{what}: not reached within 60 s; last status: {last}");
    }

    /// <summary>The image the simulated cluster runs for the environment.</summary>
    public async Task<string> RunningImageAsync() =>
        (await Client.AppsV1.ReadNamespacedDeploymentAsync("beacon", Name, cancellationToken: Ct)).Spec.Template.Spec.Containers[0].Image;

    public async ValueTask DisposeAsync()
    {
        if (Agent is not null)
        {
            await Agent.StopAsync();
            await Agent.DisposeAsync();
        }
        Status?.Dispose();
        Client.Dispose();
        await Simulation.DisposeAsync();
        try { Directory.Delete(directory, recursive: true); }
        catch (IOException) { }   // git may still hold a file for a moment; the temp folder is cleaned by the system
    }
}
