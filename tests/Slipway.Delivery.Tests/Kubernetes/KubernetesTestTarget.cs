using System.Net.Http;
using k8s;
using Slipway.Testing.Kubernetes;

namespace Slipway.Delivery.Tests.Kubernetes;

/// <summary>
/// Where a Kubernetes test runs: the in-process <see cref="KubernetesApiSimulation"/>, or — when SLIPWAY_TEST_KUBERNETES=cluster
/// and KUBECONFIG names a cluster that answers — that real cluster (tests that steer the simulated controller skip there).
/// Each test gets its own environment name, i.e. its own namespace.
/// </summary>
public sealed class KubernetesTestTarget : IAsyncDisposable
{
    private KubernetesTestTarget(IKubernetes client, KubernetesApiSimulation? simulation)
    {
        Client = client;
        Simulation = simulation;
        Environment = "t" + Guid.NewGuid().ToString("N")[..10];
    }

    public IKubernetes Client { get; }
    public KubernetesApiSimulation? Simulation { get; }

    /// <summary>A fresh environment (namespace) name for this test.</summary>
    public string Environment { get; }

    public static async Task<KubernetesTestTarget> CreateAsync()
    {
        if (System.Environment.GetEnvironmentVariable("SLIPWAY_TEST_KUBERNETES") == "cluster" &&
            System.Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } kubeconfig)
        {
            var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await client.Version.GetCodeAsync(timeout.Token);
                return new KubernetesTestTarget(client, simulation: null);
            }
            catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException)
            {
                client.Dispose();
                throw new InvalidOperationException($"SLIPWAY_TEST_KUBERNETES=cluster but the cluster of {kubeconfig} does not answer", exception);
            }
        }
        var started = await KubernetesApiSimulation.StartAsync();
        return new KubernetesTestTarget(started.CreateClient(), started);
    }

    /// <summary>The simulation, for tests that steer its controller; skips the test on a real cluster.</summary>
    public KubernetesApiSimulation RequireSimulation()
    {
        if (Simulation is null) Assert.Skip("steers the simulated Deployment controller; a real cluster has its own");
        return Simulation;
    }

    public async ValueTask DisposeAsync()
    {
        if (Simulation is null)
        {
            try { await Client.CoreV1.DeleteNamespaceAsync(Environment); }
            catch (k8s.Autorest.HttpOperationException) { /* never created */ }
        }
        Client.Dispose();
        if (Simulation is not null) await Simulation.DisposeAsync();
    }
}
